package understand_test

import (
	"slices"
	"strings"
	"testing"

	"helpline/bot/understand"
	"helpline/flows"
)

func detector(t testing.TB) *understand.Detector {
	t.Helper()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	d, err := understand.NewDetector(set)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCrisisPhrases(t *testing.T) {
	t.Parallel()
	d := detector(t)
	for _, tc := range []struct {
		text, kind string
	}{
		{"I want to kill myself", "suicide"},
		{"honestly i might kms tonight", "suicide"},
		{"KMS", "suicide"},
		{"i just want to end it all", "suicide"},
		{"everyone would be better off without me", "suicide"},
		{"theres no reason to live anymore", "suicide"},
		{"Im thinking about suicide", "suicide"},
		{"thinking about sucide", "suicide"},
		{"i want to die", "suicide"},
		{"I don't want to be alive", "suicide"},
		{"I’ve been cutting myself again", "selfharm"},
		{"i keep wanting to hurt myself", "selfharm"},
		{"he OD'd", "overdose"},
		{"my brother is od-ing", "overdose"},
		{"i think she overdosed", "overdose"},
		{"I took too many pills", "overdose"},
		{"he's not breathing", "overdose"},
		{"she won't wake up", "overdose"},
		{"his lips are blue", "overdose"},
		{"O.D. on fentanyl", "overdose"},
		{"he is having a seizure right now", "withdrawal"},
		{"shes seizing", "withdrawal"},
		{"i'm hallucinating and shaking", "withdrawal"},
		{"I think he has the DTs", "withdrawal"},
		{"my husband said he is going to kill me", "violence"},
		{"he has a gun", "violence"},
		{"she hits me when she drinks", "violence"},
		{"I'm afraid for my life", "violence"},
		{"I have chest pain", "other"},
		{"this is an emergency", "other"},
	} {
		if kind := d.Check(tc.text).Kind; kind != tc.kind {
			t.Errorf("Check(%q) = %q, want %q", tc.text, kind, tc.kind)
		}
	}
}

func TestNotCrisis(t *testing.T) {
	t.Parallel()
	d := detector(t)
	for _, text := range []string{
		"my job is killing me",
		"these cravings are killing me",
		"I'm dying to get started",
		"dead tired after work",
		"that's odd",
		"I want to stop drinking",
		"yes",
		"2",
		"1 3",
		"cocaine",
		"he had a seizure once when he quit, years ago",
		"she was hallucinating last time she stopped",
		"it's not an emergency",
		"what does IOP cost?",
		"killing it at work lately",
		"I'm scared to death of detox",
		"cancer",
		"my son",
		"",
	} {
		if kind := d.Check(text).Kind; kind != "" {
			t.Errorf("Check(%q) = %q, want no alarm", text, kind)
		}
	}
}

// Whatever is texted, the danger check answers with a tier, a kind, a
// person and a reply the crisis file has, the same each time.
func FuzzCrisisCheck(f *testing.F) {
	for _, s := range []string{"kms", "he OD'd", "my job is killing me", "o.d.'d", "", "ñ", "\xff",
		"no thoughts of suicide but sometimes", "(((", "💊💊💊 tonight", "kill myself $ & |", "me quiero morir jaja",
		strings.Repeat("i took 30 pills ", 40)} {
		f.Add(s)
	}
	d := detector(f)
	set, err := flows.Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := d.Check(text)
		if again := d.Check(text); again != got {
			t.Fatalf("Check(%q) = %+v, then %+v", text, got, again)
		}
		switch got.Tier {
		case "":
			if got.Kind != "" || got.Reply != "" || got.Matched != "" {
				t.Fatalf("Check(%q) = %+v: a kind or reply with no tier", text, got)
			}
			return
		case flows.TierUrgent, flows.TierConcern:
		default:
			t.Fatalf("Check(%q): tier %q", text, got.Tier)
		}
		if !slices.Contains(flows.CrisisKinds, got.Kind) {
			t.Fatalf("Check(%q) = unknown kind %q", text, got.Kind)
		}
		if got.Who != "self" && got.Who != "other" {
			t.Fatalf("Check(%q): who %q", text, got.Who)
		}
		if _, ok := set.Crisis.Reply[got.Reply]; !ok {
			t.Fatalf("Check(%q): reply %q is not in the crisis file", text, got.Reply)
		}
		if got.Matched == "" || got.Pattern == "" || got.Cleared != "" {
			t.Fatalf("Check(%q) = %+v: no pattern named, or a clear rule on a match", text, got)
		}
	})
}

// Spanish words of danger, with slang and common misspellings, are found
// and reported as Spanish, so the reply names 988 in Spanish.
func TestCrisisPhrasesSpanish(t *testing.T) {
	t.Parallel()
	d := detector(t)
	for _, tc := range []struct {
		text, kind string
	}{
		{"Quiero matarme", "suicide"},
		{"kiero matarme ya", "suicide"},
		{"me quiero morir", "suicide"},
		{"quiero morirme", "suicide"},
		{"ya no quiero vivir", "suicide"},
		{"estoy pensando en suicidarme", "suicide"},
		{"pienso en el suicidio", "suicide"},
		{"pienso en el sucidio", "suicide"},
		{"quiero quitarme la vida", "suicide"},
		{"mejor acabar con todo", "suicide"},
		{"mi hija dice que quiere suicidarse", "suicide"},
		{"todos estarían mejor sin mí", "suicide"},
		{"me estoy cortando otra vez", "selfharm"},
		{"creo que es una sobredosis", "overdose"},
		{"mi hermano no respira", "overdose"},
		{"no despierta!!", "overdose"},
		{"tiene los labios morados", "overdose"},
		{"se tomó todas las pastillas", "overdose"},
		{"no lo puedo despertar", "overdose"},
		{"está convulsionando", "withdrawal"},
		{"mi papá está alucinando y temblando", "withdrawal"},
		{"tiene convulsiones ahorita", "withdrawal"},
		{"mi esposo me va a matar", "violence"},
		{"mi esposo quiere matarme", "violence"},
		{"me pega cuando toma", "violence"},
		{"tiene una pistola", "violence"},
		{"temo por mi vida", "violence"},
		{"tengo dolor en el pecho", "other"},
		{"es una emergencia", "other"},
	} {
		f := d.Check(tc.text)
		kind, lang := f.Kind, f.Lang
		if kind != tc.kind || lang != "es" {
			t.Errorf("Check(%q) = %q, %q; want %q, \"es\"", tc.text, kind, lang, tc.kind)
		}
	}
}

func TestNotCrisisSpanish(t *testing.T) {
	t.Parallel()
	d := detector(t)
	for _, text := range []string{
		"me muero de ganas de empezar",
		"me muero de hambre",
		"me mata el trabajo",
		"el trabajo me está matando",
		"estoy muerto de cansancio",
		"no es una emergencia",
		"tuvo convulsiones cuando lo dejó hace años",
		"estaba alucinando la última vez que paró",
		"convulsiones",
		"alucinaciones",
		"quiero dejar de tomar",
		"necesito ayuda",
		"hola",
		"sí",
		"nel",
		"cocaína",
		"mi hijo",
		"¿cuánto cuesta el IOP?",
		"no quiero seguir con las preguntas",
	} {
		if kind := d.Check(text).Kind; kind != "" {
			t.Errorf("Check(%q) = %q, want no alarm", text, kind)
		}
	}
}

// Spanish drops the subject: "pienso", "creo" and an unaccented "no se
// que" (no sé qué, I don't know what) say the danger is the texter's, even
// before a reflexive "se" would read as someone else; a third person verb
// after a named person stays theirs.
func TestWhoseDangerInSpanish(t *testing.T) {
	t.Parallel()
	d := detector(t)
	for text, who := range map[string]string{
		"ya no se que hacer, a veces pienso que estaria mejor muerto": "self",
		"no se si aguante mas, creo que estaria mejor muerta":         "self",
		"nose, creo q mi familia estaria mas tranquila sin mi":        "self",
		"mi hermano dice que a veces piensa que estaria mejor muerto": "other",
		"mi amigo dice que quisiera dormirse y no despertar nunca":    "other",
		"ya no se q hacer con mi hijo, dice que se quiere matar":      "other",
	} {
		if got := d.Check(text); got.Tier == "" || got.Who != who {
			t.Errorf("Check(%q) = %s %s %s, want %s's danger", text, got.Tier, got.Kind, got.Who, who)
		}
	}
}
