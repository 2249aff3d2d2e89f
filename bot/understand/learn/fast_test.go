package learn

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helpline/flows/text"
)

// slowLogits is the reading span by span, feature by feature, that
// logitsAll must agree with.
func slowLogits(m *Model, h *head, d *text.Doc, sp []span) []float64 {
	k := len(h.classes)
	z := make([]float64, len(sp)*k)
	sc := new(scratch)
	for i, s := range sp {
		h.logits(m.hasher.features(d, s, sc, nil), z[i*k:i*k+k])
	}
	return z
}

// Predict's reading of every span at once gives the logits of reading
// each span's features on its own, and the same decisions.
func TestLogitsAllAgrees(t *testing.T) {
	t.Parallel()
	ls := langs(t)
	texts := []struct{ lang, s string }{
		{"en", ""},
		{"en", "?"},
		{"en", "took like 6 blues an hour ago, chest tight. cant stay awake"},
		{"en", "i dont wanna live anymore, took 20 pills 💊 and 20 more, 20 20 20"},
		{"en", "is it free? how much does it cost? i i i i a a a b b"},
		{"es", "¿cuánto cuesta el programa? no quiero vivir más, ya no aguanto, señor"},
		{"es", "quiero hablar con una persona ¿es gratis?"},
		{"en", strings.Repeat("i want to die and nobody would care at all ", 6) + "but my dog. " + strings.Repeat("help me please ", 30)},
		{"en", strings.Repeat("ok ", 50) + ", " + strings.Repeat("no no ", 40)},
		{"en", "a b c d e f g, h i j. k l m n o p q r s t u v w x y z á é í ó ú ñ ü 😀 😀"},
		// Sums of more rows than a 16-bit lane holds, and counts past
		// logCount's.
		{"en", strings.Repeat("overdosing ", 38)},
		{"en", strings.Repeat("pills pills ", 18) + ". " + strings.Repeat("abcdefghijk ", 35) + ", " + strings.Repeat("no ", 39)},
		{"en", strings.Repeat(strings.Repeat("a ", 35)+". ", 4)},
	}
	root := filepath.Join("..", "..", "..")
	if ex, err := ReadExamples(root); err == nil {
		for _, e := range ex.Danger {
			texts = append(texts, struct{ lang, s string }{e.Lang, e.Text})
		}
		for _, e := range ex.Intents {
			texts = append(texts, struct{ lang, s string }{e.Lang, e.Text})
		}
	} else {
		t.Logf("examples: %v", err)
	}
	for _, name := range []string{Danger, Intents} {
		raw, err := os.ReadFile(filepath.Join("..", "models", name+".model"))
		if err != nil {
			t.Skip(err)
		}
		m, err := Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		sc := new(scratch)
		worst := 0.0
		for _, tx := range texts {
			l := ls[tx.lang]
			if l == nil {
				continue
			}
			d := l.Read(tx.s)
			for hi := range m.heads {
				h := &m.heads[hi]
				sp := spans(d, nil)
				if hi > 0 {
					sp = []span{{0, len(d.Tokens)}}
				}
				want := slowLogits(m, h, d, sp)
				got := make([]float64, len(want))
				m.logitsAll(d, h, sp, sc, got)
				for i := range want {
					diff := math.Abs(got[i] - want[i])
					worst = max(worst, diff)
					if diff > 1e-4*max(1, math.Abs(want[i])) {
						t.Fatalf("%s head %s %q: logit %d is %g, want %g", name, h.name, tx.s, i, got[i], want[i])
					}
				}
			}
			// Decisions as the span-by-span reading makes them.
			sp := spans(d, nil)
			k := len(m.heads[0].classes)
			z := slowLogits(m, &m.heads[0], d, sp)
			for i := range sp {
				softmax(z[i*k:i*k+k], m.heads[0].temp)
			}
			_, c, _, tier := m.decide(z, len(sp))
			p := m.Predict(d)
			want := None
			if c >= 0 {
				want = m.heads[0].classes[c]
			}
			if p.Class != want || p.Tier != tier {
				t.Errorf("%s %q: Predict decides %s %s, span by span %s %s", name, tx.s, p.Class, p.Tier, want, tier)
			}
		}
		t.Logf("%s: %d texts, largest logit difference %.3g", name, len(texts), worst)
	}
}

// expNonPos is math.Exp within 2 ulps over the logits' range.
func TestExpNonPos(t *testing.T) {
	t.Parallel()
	for _, x := range []float64{0, math.Inf(-1), -700.5, -745.2, -800} {
		if got, want := expNonPos(x), math.Exp(x); got != want {
			t.Errorf("expNonPos(%g) = %g, want %g", x, got, want)
		}
	}
	if got := expNonPos(math.NaN()); !math.IsNaN(got) {
		t.Errorf("expNonPos(NaN) = %g", got)
	}
	worst := 0.0
	for i := range 1_000_000 {
		x := -float64(i) * 0.000699
		got, want := expNonPos(x), math.Exp(x)
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 5e-16 {
		t.Errorf("expNonPos differs from math.Exp by %g", worst)
	}
}

// logitsAll agrees with the span-by-span reading for heads of any number
// of classes, on random weights.
func TestLogitsAllClasses(t *testing.T) {
	t.Parallel()
	en := langs(t)["en"]
	docs := []*text.Doc{
		en.Read("took like 6 blues an hour ago, chest tight. cant stay awake?"),
		en.Read(strings.Repeat("overdosing pills ", 19) + ". " + strings.Repeat("no ", 39)),
		en.Read("é ü ñ 😀, a b c"),
	}
	rng := splitmix(7)
	for _, k := range []int{2, 5, 8, 9, 16, 17, 18, 20, 24, 25, 40} {
		m := &Model{hasher: newHasher(12, 0.3)}
		h := head{classes: make([]string, k), bias: make([]float32, k), scale: make([]float32, k), w: make([]byte, k<<12, k<<12+wordPad)}
		for c := range k {
			h.bias[c] = float32(rng.next()%1000) / 500
			h.scale[c] = float32(rng.next()%1000+1) / 1e4
		}
		for i := range h.w {
			h.w[i] = byte(rng.next())
		}
		sc := new(scratch)
		for _, d := range docs {
			sp := spans(d, nil)
			want := slowLogits(m, &h, d, sp)
			got := make([]float64, len(want))
			m.logitsAll(d, &h, sp, sc, got)
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-4*max(1, math.Abs(want[i])) {
					t.Fatalf("%d classes, %q: logit %d is %g, want %g", k, d.Text, i, got[i], want[i])
				}
			}
		}
	}
}
