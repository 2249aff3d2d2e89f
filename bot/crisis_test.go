package bot_test

import (
	"testing"

	"helpline/bot"
	"helpline/flows"
)

func detector(t testing.TB) *bot.Detector {
	t.Helper()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	d, err := bot.NewDetector(set.Crisis)
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
		{"I’ve been cutting myself again", "suicide"},
		{"i keep wanting to hurt myself", "suicide"},
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
		if kind, _ := d.Check(tc.text); kind != tc.kind {
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
		if kind, _ := d.Check(text); kind != "" {
			t.Errorf("Check(%q) = %q, want no alarm", text, kind)
		}
	}
}

func FuzzCrisisCheck(f *testing.F) {
	for _, s := range []string{"kms", "he OD'd", "my job is killing me", "o.d.'d", "", "ñ", "\xff"} {
		f.Add(s)
	}
	d := detector(f)
	f.Fuzz(func(t *testing.T, text string) {
		kind, _ := d.Check(text)
		if kind != "" {
			for _, k := range flows.CrisisKinds {
				if k == kind {
					return
				}
			}
			t.Fatalf("Check(%q) = unknown kind %q", text, kind)
		}
	})
}
