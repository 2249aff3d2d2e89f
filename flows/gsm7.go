package flows

// The GSM 03.38 default alphabet and its extension table. A message made only
// of these is sent in 7-bit GSM encoding; one other character turns the whole
// message into UCS-2, which fits less than half as much in a segment.
const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

var gsm7Table = func() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsm7Basic {
		m[r] = 1
	}
	for _, r := range gsm7Ext {
		m[r] = 2
	}
	return m
}()

// gsm7Cost returns how many septets r takes in GSM-7, or 0 if it has no GSM-7 form.
func gsm7Cost(r rune) int {
	if r < 0x80 && r >= ' ' && r != '`' && r != '^' && r != '{' && r != '}' && r != '\\' && r != '[' && r != ']' && r != '~' && r != '|' {
		return 1
	}
	return gsm7Table[r]
}

// NonGSM7 returns the first character of s that GSM-7 cannot carry, or "".
func NonGSM7(s string) string {
	for _, r := range s {
		if gsm7Cost(r) == 0 {
			return string(r)
		}
	}
	return ""
}

// Segments returns how many SMS segments s takes: 160 GSM-7 septets in one,
// 153 a segment when split; 70 UCS-2 characters in one, 67 when split.
func Segments(s string) int {
	septets, units, gsm := 0, 0, true
	for _, r := range s {
		if c := gsm7Cost(r); c > 0 && gsm {
			septets += c
		} else {
			gsm = false
		}
		units++
		if r > 0xFFFF {
			units++ // a surrogate pair in UTF-16
		}
	}
	if s == "" {
		return 0
	}
	if gsm {
		if septets <= 160 {
			return 1
		}
		return (septets + 152) / 153
	}
	if units <= 70 {
		return 1
	}
	return (units + 66) / 67
}

// GSM7 reports whether s can be sent in GSM-7.
func GSM7(s string) bool { return NonGSM7(s) == "" }
