package text

// FindWork is what CountWork counts.
type FindWork = findProbes

// CountWork runs f with Find counting its work, and returns the counts.
func CountWork(f func()) FindWork {
	probes = &findProbes{}
	defer func() { probes = nil }()
	f()
	return *probes
}
