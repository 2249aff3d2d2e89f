package text_test

import (
	"fmt"
	"strings"
	"testing"

	"helpline/flows"
	"helpline/flows/text"
)

// langs returns the shipped languages, as the flows load them.
func langs(t testing.TB) (en, es *text.Language) {
	t.Helper()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	return set.Langs["en"], set.Langs["es"]
}

func TestFoldEveryAccent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Mañana ÉXITO":           "manana exito",
		"ã â ê õ ä ë ï ö ü ÿ":    "a a e o a e i o u y",
		"á é í ó ú à è ì ò ù":    "a e i o u a e i o u",
		"Ç ç Ñ ñ Å å":            "c c n n a a",
		"Ｈｅｌｌｏ":                  "hello", // fullwidth
		"straße œuvre Øre ﬁne":   "strasse oeuvre ore fine",
		"día, qué, sí, también":  "dia, que, si, tambien",
		"plain ascii stays SAME": "plain ascii stays same",
	} {
		if got := text.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func pieces(ps []text.Piece) string {
	var b []string
	for _, p := range ps {
		b = append(b, p.Text)
	}
	return strings.Join(b, "|")
}

func TestSplit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"I'm NOT ok…", "i'm|not|ok"},
		{"don’t text me", "don't|text|me"},
		{"he O.D.'d last nite", "he|od'd|last|nite"},
		{"O.D. on fent", "od|on|fent"},
		{"took 800mg", "took|800mg"},
		{"3-4 beers", "3|-|4|beers"},
		{"10+ drinks", "10|+|drinks"},
		{"1.5 bottles", "1.5|bottles"},
		{"self-harm again", "self|harm|again"},
		{"he is od-ing", "he|is|oding"},
		{"💊💊 im done 😭😭", "💊|💊|im|done|😭|😭"},
		{"👍🏽 ok", "👍|ok"}, // the skin tone only changes how it looks
		{"#2", "2"},
		{"", ""},
		{"!!!", ""},
	} {
		if got := pieces(text.Split(tc.in)); got != tc.want {
			t.Errorf("Split(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Positions point at what was written.
	s := "Sí, tomo 💊 diario"
	for _, p := range text.Split(s) {
		if text.Fold(s[p.From:p.To]) != p.Text {
			t.Errorf("piece %q spans %q", p.Text, s[p.From:p.To])
		}
	}
	ps := text.Split("no. i drink, but not daily")
	if ps[0].Clause != 0 || ps[1].Clause != 1 || ps[3].Clause != 2 {
		t.Errorf("clauses: %+v", ps)
	}
}

func words(d *text.Doc) string { return strings.Join(d.Words(), " ") }

func TestTextingForms(t *testing.T) {
	t.Parallel()
	en, es := langs(t)
	for _, tc := range []struct {
		l        *text.Language
		in, want string
	}{
		{en, "i wanna stop", "i want to stop"},
		{en, "im gonna try", "i am going to try"},
		{en, "imma call u rn", "i am going to call you right now"},
		{en, "tryna quit bout now", "trying to quit about now"},
		{en, "r u there", "are you there"},
		{en, "i dont drink, i dnt smoke", "i do not drink i do not smoke"},
		{en, "I don't", "i do not"},
		{en, "ive tried, hes trying, shes not", "i have tried he is trying she is not"},
		{en, "it aint working", "it is not working"},
		{en, "he od'd", "he overdosed"},
		{en, "my bf", "my boyfriend"},
		{en, "b4 2nite", "before tonight"},
		{es, "q onda xq no", "que onda porque no"},
		{es, "tmb tomo pa dormir", "tambien tomo para dormir"},
		{es, "kiero ayuda porfa", "quiero ayuda por favor"},
		{es, "xfa", "por favor"},
		{es, "aveces", "a veces"},
	} {
		if got := words(tc.l.Read(tc.in)); got != tc.want {
			t.Errorf("%s Read(%q) = %q, want %q", tc.l.Code, tc.in, got, tc.want)
		}
	}
}

func TestDroppedG(t *testing.T) {
	t.Parallel()
	en, _ := langs(t)
	d := en.Read("been cuttin and drinkin, cant stop thinkin bout it")
	alts := map[string]string{}
	for _, tok := range d.Tokens {
		if tok.Alt != "" {
			alts[tok.Word] = tok.AltStem
		}
	}
	for w, stem := range map[string]string{"cuttin": "cut", "drinkin": "drink", "thinkin": "think"} {
		if alts[w] != stem {
			t.Errorf("%q: second reading stems to %q, want %q", w, alts[w], stem)
		}
	}
}

func TestStems(t *testing.T) {
	t.Parallel()
	en, es := langs(t)
	for _, tc := range []struct {
		l           *text.Language
		text, alike string
	}{
		{en, "drinking", "drinks"},
		{en, "overdosing", "overdosed"},
		{en, "seizures", "seizure"},
		{en, "ending", "end"},
		{es, "pastillas", "pastilla"},
		{es, "cervezas", "cerveza"},
		{es, "convulsionando", "convulsiones"},
		{es, "tomando", "tomé"},
	} {
		a, b := tc.l.Read(tc.text).Tokens[0].Stem, tc.l.Read(tc.alike).Tokens[0].Stem
		if a != b {
			t.Errorf("%s: %q stems to %q, %q to %q; want the same", tc.l.Code, tc.text, a, tc.alike, b)
		}
	}
}

func numbers(d *text.Doc) string {
	var out []string
	for _, n := range d.Numbers {
		s := fmt.Sprint(n.Value)
		if n.Vague {
			s += "~"
		}
		if n.Approx {
			s += "?"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestNumbers(t *testing.T) {
	t.Parallel()
	en, es := langs(t)
	for _, tc := range []struct {
		l        *text.Language
		in, want string // ~ vague, ? approximate
	}{
		{en, "3 or 4", "3 4"},
		{en, "three or four beers", "3 4"},
		{en, "twenty five", "25"},
		{en, "twenty-five", "25"},
		{en, "a couple", "2~"},
		{en, "a few beers", "3~"},
		{en, "a dozen", "12"},
		{en, "half a dozen", "6"},
		{en, "half a bottle", "0.5"},
		{en, "about 8", "8?"},
		{en, "like 5", "5?"},
		{en, "3ish", "3?"},
		{en, "probably 6 or 7", "6? 7"},
		{en, "a 12 pack", "12"},
		{en, "1.5 bottles", "1.5"},
		{en, "once a week", "1"},
		{en, "there", ""}, // not "three"
		{en, "thee", ""},
		{es, "tres o cuatro", "3 4"},
		{es, "treinta y cinco", "35"},
		{es, "una docena", "12"},
		{es, "media docena", "6"},
		{es, "un par de cervezas", "2~"},
		{es, "unas cuantas", "3~"},
		{es, "como 8 cervezas", "8?"},
		{es, "mas o menos 5", "5?"},
		{es, "veinticinco", "25"},
	} {
		if got := numbers(tc.l.Read(tc.in)); got != tc.want {
			t.Errorf("%s %q: numbers %q, want %q", tc.l.Code, tc.in, got, tc.want)
		}
	}
}

// negated lists the words in a negation's scope, "|" between clauses.
func negated(d *text.Doc) string {
	var out []string
	for _, t := range d.Tokens {
		if t.Negated {
			out = append(out, t.Word)
		}
	}
	return strings.Join(out, " ")
}

func TestNegationScope(t *testing.T) {
	t.Parallel()
	en, es := langs(t)
	for _, tc := range []struct {
		l        *text.Language
		in, want string
	}{
		{en, "not alcohol, just weed", "alcohol"},
		{en, "not alcohol just weed", "alcohol"},
		{en, "i dont drink, i smoke weed", "drink"},
		{en, "i dont drink i smoke weed", "drink"},
		{en, "i have a place but no car", "car"},
		{en, "not every day", "every day"},
		{en, "no thoughts of suicide", "thoughts of suicide"},
		{en, "never had the dts", "had the dts"},
		{en, "not really but sometimes", "really"},
		{en, "i cant stop drinking", ""},
		{en, "no car or bus", "car bus"},
		{en, "i do not have a safe place to live", "have a safe place to live"},
		{en, "nobody supports me", "supports me"},
		{es, "no tengo seguro", "tengo seguro"},
		{es, "no tomo, fumo mota", "tomo"},
		{es, "sin carro pero con casa", "carro"},
		{es, "no tengo casa ni carro", "tengo casa carro"},
		{es, "no puedo dejar de tomar", ""},
	} {
		if got := negated(tc.l.Read(tc.in)); got != tc.want {
			t.Errorf("%s %q: negated %q, want %q", tc.l.Code, tc.in, got, tc.want)
		}
	}
	d := en.Read("not really but sometimes")
	if !d.Tokens[2].Contrast || d.Tokens[3].Clause == d.Tokens[0].Clause {
		t.Errorf("contrast not marked: %+v", d.Tokens)
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"seizure", "seziure", 1}, // a swap is one edit
		{"self", "slef", 1},
		{"alcohol", "alchohol", 1},
		{"suicide", "sucide", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
		{"día", "dia", 1},
	} {
		if got := text.Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	for _, tc := range []struct {
		word, typed string
		want        bool
	}{
		{"seizure", "seziure", true},
		{"xanax", "xnax", true},
		{"meth", "math", false}, // under five letters: exact only
		{"weed", "wed", false},
		{"cancel", "cancer", true}, // Near itself would; keywords never ask it
		{"seizure", "seziurre", false},
	} {
		if got := text.Near(tc.word, tc.typed); got != tc.want {
			t.Errorf("Near(%q, %q) = %v, want %v", tc.word, tc.typed, got, tc.want)
		}
	}
}

func TestKeywordsAreWholeMessages(t *testing.T) {
	t.Parallel()
	en, es := langs(t)
	for _, tc := range []struct {
		l        *text.Language
		in, want string
	}{
		{en, "STOP", "stop"},
		{en, "Stop.", "stop"},
		{en, "stop!!! 😡", "stop"},
		{en, "please stop texting me now", "stop"},
		{en, "can you stop sending me these", "stop"},
		{en, "stop texting me", "stop"},
		{en, "dont text me anymore", "stop"},
		{en, "leave me alone", "stop"},
		{en, "unsubscribe", "stop"},
		{en, "he won't leave me alone", ""},
		{en, "i cant stop drinking", ""},
		{en, "stop by tomorrow?", ""},
		{en, "I want to stop drinking", ""},
		{en, "i want to stop", ""},
		{en, "how do I stop using", ""},
		{en, "cancer", ""}, // never a typo of cancel
		{en, "unsubscrbe", ""},
		{en, "restrat", ""},
		{en, "START", "start"},
		{en, "help", "help"},
		{en, "help please", "help"},
		{en, "i need help", ""},
		{en, "start over", "restart"},
		{en, "go back", "back"},
		{en, "can i talk to someone", "call"},
		{en, "delete my data", "delete"},
		{en, "ESPAÑOL", ""},
		{es, "español", "language"},
		{es, "ALTO", "stop"},
		{es, "ya no me escriban por favor", "stop"},
		{es, "dejen de escribirme", "stop"},
		{es, "no me deja en paz", ""},
		{es, "quiero parar", ""},
		{es, "no puedo parar de tomar", ""},
		{es, "para mi hijo", ""},
		{es, "ayuda", "help"},
		{es, "necesito ayuda", ""},
		{es, "llamenme", "call"},
		{es, "borrar mis datos", "delete"},
	} {
		if got := tc.l.Keyword(tc.l.Read(tc.in)); got != tc.want {
			t.Errorf("%s Keyword(%q) = %q, want %q", tc.l.Code, tc.in, got, tc.want)
		}
	}
}

func TestPatterns(t *testing.T) {
	t.Parallel()
	en, _ := langs(t)
	m, err := en.NewMatcher(map[string][]string{"drug": {"pills", "tylenol", "xanax", "=bars"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"kill myself",
		"took .. @drug",
		"want to? die",
		"hurt|harm myself",
		"=od",
		"took #10+",
		"💊",
		"dont want to live",
		"kill myself now|rn|@drug",
		"(in the car|left alone) ..2 @drug",
		"gonna jump $",
		"took & @drug & (tonight|right now)",
	} {
		if _, err := m.Add(p, p); err != nil {
			t.Fatalf("Add(%q): %v", p, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"i want to kill myself", "kill myself"},
		{"i want to kil myself", "kill myself"}, // a doubled letter written once
		{"i want to kll myself", ""},            // "kill" is under five letters: no other typo
		{"killing myself tonight", "kill myself"},
		{"i took a whole bottle of tylenol", "took .. @drug"},
		{"took my xanx", "took .. @drug"}, // one typo in a long word
		{"took all my bars", "took .. @drug"},
		{"i want to die", "want to? die"},
		{"i wanna die", "want to? die"},
		{"want die", "want to? die"},
		{"i keep harming myself", "hurt|harm myself"},
		{"he od", "=od"},
		{"she is odd", ""},
		{"i took 20", "took #10+"},
		{"i took twenty", "took #10+"},
		{"i took 2", ""},
		{"💊💊💊", "💊"},
		{"i don't want to live", "dont want to live"},
		{"i took them to school", ""},
		{"gonna kill myself rn", "kill myself now|rn|@drug"},
		{"left alone with the pills", "(in the car|left alone) ..2 @drug"},
		{"in the car with xanax", "(in the car|left alone) ..2 @drug"},
		{"in the house with xanax", ""},
		{"im gonna jump", "gonna jump $"},
		{"gonna jump 😭", "gonna jump $"}, // emoji may follow
		{"gonna jump in the pool", ""},
		{"took my xanax tonight", "took & @drug & (tonight|right now)"},
		{"took a walk tonight", ""},
		{"kill myself right now", "kill myself now|rn|@drug"},
	} {
		var got []string
		for _, h := range m.Find(en.Read(tc.in)) {
			got = append(got, h.Name)
		}
		g := strings.Join(got, ",")
		if tc.want == "" && g != "" || tc.want != "" && !strings.Contains(","+g+",", ","+tc.want+",") {
			t.Errorf("Find(%q) = %q, want %q", tc.in, g, tc.want)
		}
	}
	for _, bad := range []string{"", ".. pills", "@nolist", "pills ..", "took ..99 pills", "want|@nolist die"} {
		if _, err := m.Add("bad", bad); err == nil {
			t.Errorf("Add(%q) accepted", bad)
		}
	}
}

func FuzzRead(f *testing.F) {
	en, es := langs(f)
	for _, s := range []string{"i wanna kms 💊", "3-4", "o.d.'d", "no tomo, fumo", "\xff", "1.2.3", "--", "a couple"} {
		f.Add(s)
	}
	m, _ := en.NewMatcher(map[string][]string{"drug": {"pills", "=bars", "tylenol"}, "when": {"tonight", "rn"}}, true)
	for _, p := range []string{"took .. pills|xanax", "(in the car|alone) & @drug", "gonna jump $", "took #4+ @drug?",
		"@drug & @when & took|ate", "(=dont|never) want to? die", "💊 & @when"} {
		if _, err := m.Add(p, p); err != nil {
			f.Fatalf("Add(%q): %v", p, err)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range []*text.Language{en, es} {
			d := l.Read(s)
			for _, tok := range d.Tokens {
				if tok.From < 0 || tok.To > len(s) || tok.From > tok.To {
					t.Fatalf("token %q spans %d:%d of %d bytes", tok.Word, tok.From, tok.To, len(s))
				}
			}
			for _, n := range d.Numbers {
				if n.From < 0 || n.To > len(d.Tokens) || n.From >= n.To {
					t.Fatalf("number %+v of %d tokens", n, len(d.Tokens))
				}
			}
			l.Keyword(d)
			for _, x := range m.Find(d) {
				if x.From < 0 || x.To > len(d.Tokens) || x.From >= x.To {
					t.Fatalf("match %+v of %d tokens", x, len(d.Tokens))
				}
				for _, p := range x.Parts {
					if p[0] < x.From || p[1] > x.To || p[0] >= p[1] {
						t.Fatalf("part %v outside match %+v", p, x)
					}
				}
			}
		}
	})
}

func BenchmarkRead(b *testing.B) {
	en, es := langs(b)
	texts := []string{"yeah", "like every day", "probably 6 or 7 beers", "not alcohol, just weed",
		"i took a whole bottle of pills", "todos los dias", "como 8 cervezas", "he won't leave me alone"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := texts[i%len(texts)]
		ps := text.Split(s)
		en.Keyword(en.ReadPieces(s, ps))
		es.Keyword(es.ReadPieces(s, ps))
	}
}
