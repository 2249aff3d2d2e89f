package learn

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helpline/flows"
	"helpline/flows/text"
)

func langs(t testing.TB) map[string]*text.Language {
	t.Helper()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	return set.Langs
}

// Features are the same on every run, normalised, and hashed by the fixed
// function: a pinned bucket fails when the hash changes without every
// model being retrained.
func TestFeaturesDeterministic(t *testing.T) {
	t.Parallel()
	en := langs(t)["en"]
	x := newHasher(18, 0.6)
	d := en.Read("i dont wanna live anymore, took 20 pills 💊")
	var a, b []feat
	a = slices.Clone(x.features(d, span{0, len(d.Tokens)}, new(scratch), nil))
	for range 3 {
		b = slices.Clone(x.features(en.Read(d.Text), span{0, len(d.Tokens)}, new(scratch), nil))
		if !slices.Equal(a, b) {
			t.Fatalf("features differ between two readings:\n%v\n%v", a, b)
		}
	}
	var norm float64
	for _, f := range a {
		norm += float64(f.val) * float64(f.val)
	}
	if math.Abs(norm-1) > 1e-5 {
		t.Errorf("squared norm %g, want 1", norm)
	}
	names := map[uint64]string{}
	sc := new(scratch)
	x.features(d, span{0, len(d.Tokens)}, sc, names)
	var got []string
	for _, k := range sc.featKeys {
		got = append(got, names[k])
	}
	for _, want := range []string{"w:!live", "w:<n>", "b:took 20", "c: pil", "c:ills ", "l:en", "w:💊"} {
		if !slices.Contains(got, want) {
			t.Errorf("no feature %q among %q", want, got)
		}
	}
	if h := x.bucket(hashString(groupStart[groupWord], "kill")); h != 0x1a3bb {
		t.Errorf("bucket of w:kill is %#x: the hash changed, so every model must be retrained; then update this test", h)
	}
}

// A long text is read clause by clause, a long clause window by window,
// and always as a whole first.
func TestSpans(t *testing.T) {
	t.Parallel()
	en := langs(t)["en"]
	for _, c := range []struct {
		text string
		want []string
	}{
		{"i want to die", []string{"i want to die"}},
		{"my son. he took a bunch of bars", []string{"my son. he took a bunch of bars", "my son", "he took a bunch of bars"}},
		{"im fine but i have the pills here", []string{"im fine but i have the pills here", "im fine", "but i have the pills here"}},
		{"", []string{""}},
	} {
		d := en.Read(c.text)
		var got []string
		for _, s := range spans(d, nil) {
			got = append(got, s.text(d))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: spans %q, want %q", c.text, got, c.want)
		}
	}
	long := strings.Repeat("word ", 100)
	d := en.Read(long)
	got := spans(d, nil)
	if len(got) != 1+4 || got[1] != (span{0, 40}) || got[4] != (span{60, 100}) {
		t.Errorf("a clause of 100 words: spans %v, want the whole then windows of 40 every 20", got)
	}
}

// Class words of the synthetic examples: two of them and three fillers
// make a text.
var synthWords = map[string][]string{
	None:                {"coffee", "weather", "garden", "music", "football", "dinner"},
	"urgent:suicide":    {"bridge", "rope", "farewell", "goodbye", "ending"},
	"urgent:selfharm":   {"razor", "bleeding", "wound", "blade"},
	"urgent:overdose":   {"bottle", "pills", "unconscious", "blue"},
	"urgent:withdrawal": {"seizure", "tremor", "hallucinating", "convulsing"},
	"urgent:violence":   {"hitting", "choking", "knife", "punching"},
	"urgent:other":      {"chest", "stroke", "collapsed", "fainted"},
	"concern:suicide":   {"hopeless", "pointless", "burden", "empty"},
	"concern:selfharm":  {"urge", "tempted", "itching", "wanting"},
}

var synthFillers = []string{"the", "and", "really", "today", "now", "so", "like", "just", "my", "it", "very", "again"}

// synth writes n texts per class for each of writers writers, with a
// share noise of labels drawn at random.
func synth(writers, n int, noise float64) []Example {
	rng := splitmix(7)
	pick := func(list []string) string { return list[rng.next()%uint64(len(list))] }
	var out []Example
	for w := range writers {
		for _, class := range DangerClasses {
			for i := range n {
				words := []string{pick(synthWords[class]), pick(synthWords[class]), pick(synthFillers), pick(synthFillers), pick(synthFillers)}
				for j := len(words) - 1; j > 0; j-- {
					k := int(rng.next() % uint64(j+1))
					words[j], words[k] = words[k], words[j]
				}
				label := class
				if float64(rng.next()%1000) < noise*1000 {
					label = pick(DangerClasses)
				}
				who := ""
				if label != None {
					who = WhoClasses[i%2]
				}
				out = append(out, Example{Text: strings.Join(words, " "), Lang: "en", Writer: fmt.Sprintf("W%02d", w), Class: label, Who: who, Source: fmt.Sprintf("synth:%d", len(out)+1)})
			}
		}
	}
	return out
}

func smallSettings(name string) Settings {
	s := DefaultSettings(name)
	s.Bits, s.Epochs, s.Folds = 12, 4, 4
	return s
}

// A small synthetic set is learned; every writer is in exactly one fold;
// the thresholds hold out of fold as chosen; and training twice gives the
// same bytes.
func TestTrainSynthetic(t *testing.T) {
	t.Parallel()
	ls := langs(t)
	ex := synth(10, 12, 0.03)
	s := smallSettings(Danger)
	r, err := Train(Danger, s, ex, ls)
	if err != nil {
		t.Fatal(err)
	}
	var writers []string
	for _, f := range r.Folds {
		writers = append(writers, f.Writers...)
	}
	slices.Sort(writers)
	if want := []string{"W00", "W01", "W02", "W03", "W04", "W05", "W06", "W07", "W08", "W09"}; !slices.Equal(writers, want) {
		t.Fatalf("fold writers %v, want each of %v once", writers, want)
	}
	u, c := r.Model.Threshold(Urgent), r.Model.Threshold(Check)
	if !(u > 0 && u < 1 && c > 0 && c < 1) {
		t.Fatalf("thresholds urgent %g, check %g: want both in (0, 1)", u, c)
	}
	// Out of fold, with the fold models, the thresholds keep their
	// promises exactly: they were chosen on these very decisions.
	var urgent, urgentRight, none, alarms, right int
	for _, e := range ex {
		p := r.FoldOf(e.Writer).Model.Predict(ls["en"].Read(e.Text))
		if p.Tier == Urgent {
			urgent++
			if strings.HasPrefix(e.Class, "urgent:") {
				urgentRight++
			}
		}
		if e.Class == None {
			none++
			if p.Tier != "" {
				alarms++
			}
		}
		if p.Class == e.Class || p.Tier == Check && e.Class != None {
			right++
		}
	}
	if float64(urgentRight) < s.Precision*float64(urgent) {
		t.Errorf("out of fold, %d of %d urgent decisions right: under %g", urgentRight, urgent, s.Precision)
	}
	if float64(alarms) > s.FalseAlarm*float64(none) {
		t.Errorf("out of fold, %d of %d none texts alarm: over %g", alarms, none, s.FalseAlarm)
	}
	if share := float64(right) / float64(len(ex)); share < 0.85 {
		t.Errorf("out of fold, %d of %d right (%.2f): the classes are not learned", right, len(ex), share)
	}
	// Whose danger is learned too.
	who, _ := r.Model.Who(ls["en"].Read("my bottle pills"))
	if who == "" {
		t.Error("a danger model has no who head")
	}

	a, err := r.Model.Encode()
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Train(Danger, s, ex, ls)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r2.Model.Encode()
	if !bytes.Equal(a, b) {
		t.Error("training twice on the same examples gave two different models")
	}
}

// Validation holds out whole writers. Here each writer writes one class
// only, always with a word of their own and nothing else that tells the
// classes apart: a model that saw other texts of the same writer (folds by
// row) would read the class from that word and look nearly perfect out of
// fold; held out by writer, it can only guess.
func TestFoldsAreByWriter(t *testing.T) {
	t.Parallel()
	ls := langs(t)
	classes := []string{None, "alpha", "beta"}
	rng := splitmix(11)
	var ex []Example
	for w := range 12 {
		mark := ""
		for range 7 {
			mark += string(rune('a' + rng.next()%26))
		}
		for i := range 30 {
			words := []string{mark}
			for range 4 {
				words = append(words, synthFillers[rng.next()%uint64(len(synthFillers))])
			}
			ex = append(ex, Example{Text: strings.Join(words, " "), Lang: "en", Writer: fmt.Sprintf("W%02d", w), Class: classes[w%3], Source: fmt.Sprint(i)})
		}
	}
	r, err := Train(Intents, smallSettings(Intents), ex, ls)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for _, e := range ex {
		p := r.FoldOf(e.Writer).Model.Predict(ls["en"].Read(e.Text))
		if classes[argmaxFrom(p.Probs, 0)] == e.Class {
			right++
		}
	}
	if share := float64(right) / float64(len(ex)); share > 0.6 {
		t.Errorf("out of fold, %d of %d read right (%.2f) from writers' own words: folds are not by writer", right, len(ex), share)
	}
	// The same texts, in sample, are read right: the words are learnable.
	right = 0
	for _, e := range ex {
		p := r.Model.Predict(ls["en"].Read(e.Text))
		if classes[argmaxFrom(p.Probs, 0)] == e.Class {
			right++
		}
	}
	if share := float64(right) / float64(len(ex)); share < 0.95 {
		t.Errorf("in sample, only %d of %d read right", right, len(ex))
	}
}

func TestWriterFoldsBalanced(t *testing.T) {
	t.Parallel()
	var ex []Example
	for w, n := range []int{50, 40, 30, 30, 20, 10} {
		for range n {
			ex = append(ex, Example{Writer: fmt.Sprint("E", w), Lang: "en"})
		}
		for range n {
			ex = append(ex, Example{Writer: fmt.Sprint("S", w), Lang: "es"})
		}
	}
	folds, err := writerFolds(ex, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"E0", "E5", "S0", "S5"}, {"E1", "E4", "S1", "S4"}, {"E2", "E3", "S2", "S3"}}
	if fmt.Sprint(folds) != fmt.Sprint(want) {
		t.Errorf("folds %v, want %v", folds, want)
	}
	if _, err := writerFolds(ex[:1], 2); err == nil {
		t.Error("one writer made two folds")
	}
}

func TestThresholdChoice(t *testing.T) {
	t.Parallel()
	s := []scored{{0.99, true}, {0.95, true}, {0.9, false}, {0.8, true}, {0.7, true}, {0.6, false}, {0.5, false}}
	if got := lowestPrecise(s, 0.8); got != 0.7 {
		t.Errorf("lowest at 80%% precision: %g, want 0.7 (4 of 5)", got)
	}
	if got := lowestPrecise(s, 1); got != 0.95 {
		t.Errorf("lowest at 100%% precision: %g, want 0.95", got)
	}
	if got := lowestPrecise([]scored{{0.5, false}}, 0.9); got != Never {
		t.Errorf("no precise score: %g, want Never", got)
	}
	none := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95}
	if got := lowestQuiet(none, 0.2); got != 0.9 {
		t.Errorf("lowest with 20%% alarms: %g, want 0.9", got)
	}
	if got := lowestQuiet(none, 0); got <= 0.95 {
		t.Errorf("lowest with no alarm: %g, want just above 0.95", got)
	}
}

// A model file reads back to the same model: same fields, same readings,
// same bytes when written again; a damaged or foreign file is refused.
func TestEncodeDecode(t *testing.T) {
	t.Parallel()
	ls := langs(t)
	r, err := Train(Danger, smallSettings(Danger), synth(8, 6, 0), ls)
	if err != nil {
		t.Fatal(err)
	}
	m := r.Model
	m.Digest = [32]byte{1, 2, 3}
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != m.Name || got.Settings != m.Settings || got.Digest != m.Digest || got.LangDigest != m.LangDigest ||
		!slices.Equal(got.Thresholds(), m.Thresholds()) || got.Temperature() != m.Temperature() || !slices.Equal(got.Classes(), m.Classes()) {
		t.Errorf("decoded model differs in its fields")
	}
	for _, s := range []string{"the rope and bridge now", "coffee and dinner", "hopeless empty today", "my bottle pills"} {
		d := ls["en"].Read(s)
		a, b := m.Predict(d), got.Predict(d)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%q: %v before, %v after", s, a, b)
		}
		w1, p1 := m.Who(d)
		w2, p2 := got.Who(d)
		if w1 != w2 || p1 != p2 {
			t.Errorf("%q: who %s %g before, %s %g after", s, w1, p1, w2, p2)
		}
	}
	again, _ := got.Encode()
	if !bytes.Equal(data, again) {
		t.Error("a decoded model encodes to other bytes")
	}
	bad := slices.Clone(data)
	bad[len(bad)/2] ^= 1
	if _, err := Decode(bad); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("damaged file: %v", err)
	}
	if _, err := Decode(data[:len(data)/2]); err == nil {
		t.Error("half a file decoded")
	}
	if _, err := Decode([]byte("hello")); !errors.Is(err, ErrNotModel) {
		t.Errorf("not a model: %v", err)
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{Danger, Intents} {
		s := DefaultSettings(name)
		got, err := ParseSettings(s.String())
		if err != nil || got != s {
			t.Errorf("%s: %v, %v", name, got, err)
		}
	}
	for _, bad := range []string{"bits=99", "color=blue", "bits", "bits=18 bits=18"} {
		if _, err := ParseSettings(DefaultSettings(Danger).String() + " " + bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Why names the features that weighed most, readably.
func TestWhy(t *testing.T) {
	t.Parallel()
	ls := langs(t)
	r, err := Train(Danger, smallSettings(Danger), synth(8, 8, 0), ls)
	if err != nil {
		t.Fatal(err)
	}
	d := ls["en"].Read("coffee and dinner. the rope and the bridge now")
	p := r.Model.Predict(d)
	if p.Class != "urgent:suicide" || p.Clause != "the rope and the bridge now" {
		t.Fatalf("prediction %+v: want urgent:suicide from the second clause", p)
	}
	why := r.Model.Why(d, p.Class, 5)
	if len(why) != 5 || why[0].Weight <= 0 || !slices.ContainsFunc(why, func(w Weight) bool { return w.Feature == "w:rope" || w.Feature == "w:bridge" }) {
		t.Errorf("why: %v", why)
	}
	if r.Model.Why(d, "no such class", 5) != nil {
		t.Error("why of an unknown class")
	}
}

// The digests change with what they cover and only with that.
func TestDigests(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("flows/language_en.yaml", "lang: en\n")
	write("a.tsv", "x\n")
	s := DefaultSettings(Danger)
	d1, err := InputDigest(root, []string{"a.tsv"}, Danger, s)
	if err != nil {
		t.Fatal(err)
	}
	write("flows/language_en.yaml", "lang: en \n")
	d2, _ := InputDigest(root, []string{"a.tsv"}, Danger, s)
	s.Epochs++
	d3, _ := InputDigest(root, []string{"a.tsv"}, Danger, s)
	if d1 == d2 || d2 == d3 {
		t.Error("the digest did not change with a language file or a setting")
	}
	if again, _ := InputDigest(root, []string{"a.tsv"}, Danger, s); again != d3 {
		t.Error("the digest changed by itself")
	}
	ls := langs(t)
	if LangDigest(ls) != LangDigest(ls) {
		t.Error("LangDigest changed by itself")
	}
	if LangDigest(ls) == LangDigest(map[string]*text.Language{"en": ls["en"]}) {
		t.Error("LangDigest did not change without Spanish")
	}
}

// The examples are read as the layout says: writers by role, the tables
// as writers of their own; a held-out writer's file among the training
// files is refused; held-out files are read only by ReadHeldout.
func TestReadExamples(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(WritersFile, "# writers\nid\tlang\trole\tvoice\nE01\ten\ttrain\tx\nS01\tes\ttrain\ty\nEH1\ten\theldout-danger\tz\n")
	write(ExamplesDir+"/danger/en/E01.tsv", "tier\tkind\twho\ttext\nurgent\toverdose\tself\ttook it all\n# a comment\nnone\t-\t-\thi\nnone\t-\t-\tyo\n")
	write(ExamplesDir+"/danger/es/S01.tsv", "tier\tkind\twho\ttext\nconcern\tsuicide\tother\tya no quiere vivir\n")
	write(ExamplesDir+"/intents/en/E01.tsv", "intent\ttext\ncost\thow much\n")
	write(TablesDir+"/danger_x.tsv", "tier\tkind\twho\tlang\ttext\n\t-\t-\ten\tnothing\nurgent\tviolence\tother\tes\tle pega\n")
	write(TablesDir+"/clears.tsv", "rule\tlang\tcleared\tkept\nidiom\ten\tmy boss will kill me\the will kill me\n")
	write(HeldoutDir+"/danger/en/EH1.tsv", "tier\tkind\twho\ttext\nurgent\tsuicide\tself\tbye\n")
	write(HeldoutDir+"/EH1/intents.tsv", "intent\ttext\nbot\tis this a bot\n")
	ex, err := ReadExamples(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ex.Danger {
		got = append(got, e.Writer+"|"+e.Lang+"|"+e.Class+"|"+e.Who+"|"+e.Text)
	}
	want := []string{
		"E01|en|urgent:overdose|self|took it all", "E01|en|none||hi", "E01|en|none||yo",
		"S01|es|concern:suicide|other|ya no quiere vivir",
		"T:danger_x.tsv|en|none||nothing", "T:danger_x.tsv|es|urgent:violence|other|le pega",
		"T:clears.tsv|en|none||my boss will kill me",
	}
	if !slices.Equal(got, want) {
		t.Errorf("danger examples:\n%q\nwant\n%q", got, want)
	}
	if len(ex.Intents) != 1 || ex.Intents[0].Class != "cost" || ex.Intents[0].Source != ExamplesDir+"/intents/en/E01.tsv:2" {
		t.Errorf("intents %+v", ex.Intents)
	}
	for _, f := range ex.Files {
		if strings.Contains(f, "heldout") {
			t.Errorf("a held-out file was read: %s", f)
		}
	}
	if in := ex.IntentExamples(1); len(in) != 2 || in[1].Class != None || in[1].Writer != "E01" {
		t.Errorf("intents with one none per writer: %+v", in)
	}
	dh, ih, err := ReadHeldout(root)
	if err != nil || len(dh) != 1 || dh[0].Writer != "EH1" || dh[0].Lang != "en" || len(ih) != 1 || ih[0].Class != "bot" || ih[0].Writer != "EH1" {
		t.Errorf("held out: %+v %+v %v", dh, ih, err)
	}

	write(ExamplesDir+"/danger/en/EH1.tsv", "tier\tkind\twho\ttext\nnone\t-\t-\thi\n")
	if _, err := ReadExamples(root); err == nil || !strings.Contains(err.Error(), "heldout-danger") {
		t.Errorf("a held-out writer among the training files: %v", err)
	}
}

// BenchmarkPredict reads a 60-character text with the danger model the
// binary carries, clause split included, the Doc already read.
func BenchmarkPredict(b *testing.B) {
	for _, name := range []string{Danger, Intents} {
		raw, err := os.ReadFile(filepath.Join("..", "models", name+".model"))
		if err != nil {
			b.Skip(err)
		}
		m, err := Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		en := langs(b)["en"]
		d := en.Read("took like 6 blues an hour ago, chest tight. cant stay awake")
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Predict(d)
			}
		})
	}
	b.Run("read", func(b *testing.B) {
		en := langs(b)["en"]
		for b.Loop() {
			en.Read("took like 6 blues an hour ago, chest tight. cant stay awake")
		}
	})
}
