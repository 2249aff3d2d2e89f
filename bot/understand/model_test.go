package understand

import (
	"encoding/hex"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"helpline/bot/understand/learn"
	"helpline/flows"
)

// The embedded models were trained from the examples, language files and
// settings as they are now. Retraining takes a minute, so this test
// compares digests; CI retrains and compares every decision
// ("helpline train --check").
func TestModelMatchesExamples(t *testing.T) {
	t.Parallel()
	const root = "../.."
	ex, err := learn.ReadExamples(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{learn.Danger, learn.Intents} {
		raw, err := ModelFile(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := learn.Decode(raw)
		if err != nil {
			t.Fatalf("%s model: %v: run go run ./cmd/helpline train", name, err)
		}
		s := learn.DefaultSettings(name)
		want, err := learn.InputDigest(root, ex.Files, name, s)
		if err != nil {
			t.Fatal(err)
		}
		if m.Digest != want {
			t.Errorf("%s model: trained from other examples, language files or settings than these (digest %s, now %s): run go run ./cmd/helpline train",
				name, hex.EncodeToString(m.Digest[:8]), hex.EncodeToString(want[:8]))
		}
		if m.Settings != s {
			t.Errorf("%s model: trained with settings %s, the trainer's are %s: run go run ./cmd/helpline train", name, m.Settings, s)
		}
	}
}

// The models the binary carries fit its languages and read the sample
// texts right, and weigh what a binary may carry.
func TestEmbeddedModels(t *testing.T) {
	t.Parallel()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	danger, intents, err := Models(set)
	if err != nil {
		t.Fatal(err)
	}
	if danger.Name != learn.Danger || intents.Name != learn.Intents {
		t.Fatalf("models %s and %s", danger.Name, intents.Name)
	}
	if u, c := danger.Threshold(learn.Urgent), danger.Threshold(learn.Check); !(u > 0 && u < 1 && c > 0 && c < 1) {
		t.Errorf("danger thresholds urgent %g, check %g: want both between 0 and 1", u, c)
	}
	if got := intents.Threshold("person"); !(got > 0 && got < 1) {
		t.Errorf("intents threshold for person %g: a request for a person must be decidable", got)
	}
	total := 0
	for _, name := range []string{learn.Danger, learn.Intents} {
		raw, _ := ModelFile(name)
		total += len(raw)
	}
	if total > 4<<20 {
		t.Errorf("the models weigh %d bytes: more than the 4 MB the binary may carry", total)
	}
	// A second call returns the same models, decoded once.
	d2, i2, err := Models(set)
	if err != nil || d2 != danger || i2 != intents {
		t.Errorf("a second call: %p %p %v", d2, i2, err)
	}
	// Whose danger, and why.
	d := set.Langs["en"].Read("my son took a whole bottle of pills and wont wake up")
	if who, _ := danger.Who(d); who != "other" {
		t.Errorf("who of %q: %s, want other", d.Text, who)
	}
	if why := danger.Why(d, danger.Predict(d).Class, 3); len(why) != 3 || why[0].Weight <= 0 {
		t.Errorf("why: %v", why)
	}
}

// Models read with other language files than the ones they were trained
// with are refused, naming the cause; so is a model that misreads the
// sample texts.
func TestModelsRefused(t *testing.T) {
	t.Parallel()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	danger, intents, err := Models(set)
	if err != nil {
		t.Fatal(err)
	}
	files := fstest.MapFS{}
	dir := os.DirFS("../../flows")
	names, err := fs.Glob(dir, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		raw, err := fs.ReadFile(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "language_en.yaml" {
			raw = []byte(strings.Replace(string(raw), "\nname: English\n", "\nname: English (US)\n", 1))
		}
		files[name] = &fstest.MapFile{Data: raw}
	}
	other, err := flows.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Models(other); err == nil || !strings.Contains(err.Error(), "other language files") {
		t.Errorf("models with changed language files: %v", err)
	}
	err = VerifyModels(set, intents, intents)
	if err == nil || !strings.Contains(err.Error(), "danger model: reads") || !strings.Contains(err.Error(), "must not ship") {
		t.Errorf("a danger model that reads nothing as danger: %v", err)
	}
	if err := VerifyModels(set, danger, intents); err != nil {
		t.Errorf("the embedded models: %v", err)
	}
}
