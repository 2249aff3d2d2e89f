package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"helpline/bot/understand"
	"helpline/bot/understand/learn"
	"helpline/flows"
	"helpline/flows/text"
)

// modelsDir is where the trained models go, relative to the root of the
// checkout; package understand embeds them from there.
const modelsDir = "bot/understand/models"

// maxModelBytes is what all the models the binary carries may weigh.
const maxModelBytes = 4 << 20

// train retrains both models from the examples beside the flows and
// writes them where the binary embeds them; with --check it writes
// nothing and fails when the models would decide any example otherwise
// than the embedded ones, or were trained from other inputs.
func train(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "write nothing; fail when a retrained model decides any example otherwise than the embedded one, or its inputs' digest differs")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: helpline train [--check]")
		fmt.Fprintln(stderr, "Retrains the danger and intents models from flows/examples and the danger tables into "+modelsDir+", and lists every decision over the examples that changed.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	root, err := checkoutRoot()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	set, err := flows.Default()
	if err != nil {
		fmt.Fprintf(stderr, "flows:\n%v\n", err)
		return 1
	}
	ex, err := learn.ReadExamples(root)
	if err != nil {
		fmt.Fprintf(stderr, "examples:\n%v\n", err)
		return 1
	}

	failed := false
	models := map[string]*learn.Model{}
	files := map[string][]byte{}
	total := 0
	for _, name := range []string{learn.Danger, learn.Intents} {
		s := learn.DefaultSettings(name)
		rows := trainingRows(ex, name, s)
		start := time.Now()
		r, err := learn.Train(name, s, rows, set.Langs)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
		took := time.Since(start)
		if r.Model.Digest, err = learn.InputDigest(root, ex.Files, name, s); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
		data, err := r.Model.Encode()
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
		// Decisions are compared as the file will make them.
		m, err := learn.Decode(data)
		if err != nil {
			fmt.Fprintf(stderr, "%s: reading back the model: %v\n", name, err)
			return 1
		}
		models[name], files[name] = m, data
		total += len(data)

		fmt.Fprintf(stdout, "%s: %d examples from %d writers, trained in %s\n", name, len(rows), countWriters(rows), took.Round(100*time.Millisecond))
		fmt.Fprintf(stdout, "  digest %s\n", hex.EncodeToString(m.Digest[:]))
		fmt.Fprintf(stdout, "  size %s, temperature %.3f, thresholds %s\n", kb(len(data)), m.Temperature(), thresholds(m))

		// The previous model: the embedded one for --check, else the
		// file about to be replaced.
		var prev []byte
		what := "the embedded model"
		if *check {
			prev, err = understand.ModelFile(name)
		} else {
			what = filepath.Join(modelsDir, name+".model")
			prev, err = os.ReadFile(filepath.Join(root, what))
		}
		old, derr := learn.Decode(prev)
		switch {
		case err != nil || derr != nil:
			fmt.Fprintf(stdout, "  no previous model to compare with (%v)\n", errors.Join(err, derr))
			failed = failed || *check
			continue
		case old.Digest != m.Digest:
			fmt.Fprintf(stdout, "  inputs changed since %s (digest %s)\n", what, hex.EncodeToString(old.Digest[:]))
			failed = failed || *check
		}
		changed := 0
		for _, e := range rows {
			d := set.Langs[e.Lang].Read(e.Text)
			if a, b := decision(old, d), decision(m, d); a != b {
				if changed == 0 {
					fmt.Fprintf(stdout, "  decisions that differ from %s:\n", what)
				}
				changed++
				fmt.Fprintf(stdout, "    %s  [%s] %s -> %s  %q\n", e.Source, e.Class, a, b, e.Text)
			}
		}
		fmt.Fprintf(stdout, "  %d of %d decisions over the examples changed\n", changed, len(rows))
		failed = failed || *check && changed > 0
	}

	fmt.Fprintf(stdout, "models: %s in all (at most %s)\n", kb(total), kb(maxModelBytes))
	if total > maxModelBytes {
		fmt.Fprintln(stderr, "the models are too big for the binary: lower Bits in learn.DefaultSettings")
		return 1
	}
	if err := understand.VerifyModels(set, models[learn.Danger], models[learn.Intents]); err != nil {
		fmt.Fprintf(stderr, "the new models would be refused at start:\n%v\n", err)
		return 1
	}
	if *check {
		if failed {
			fmt.Fprintln(stderr, "the embedded models do not match the examples: run go run ./cmd/helpline train and commit the models")
			return 1
		}
		fmt.Fprintln(stdout, "the embedded models match the examples")
		return 0
	}
	for _, name := range []string{learn.Danger, learn.Intents} {
		path := filepath.Join(root, modelsDir, name+".model")
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(modelsDir, name+".model"))
	}
	return 0
}

// trainingRows returns the examples a model called name is trained on.
func trainingRows(ex *learn.Examples, name string, s learn.Settings) []learn.Example {
	if name == learn.Intents {
		return ex.IntentExamples(s.NonePerWriter)
	}
	return ex.Danger
}

// decision writes what m decides about d, for comparing two models:
// "urgent:overdose/self", "check:suicide/other" or "none" for danger; the
// class for intents.
func decision(m *learn.Model, d *text.Doc) string {
	p := m.Predict(d)
	if m.Name != learn.Danger {
		return p.Class
	}
	if p.Tier == "" {
		return learn.None
	}
	who, _ := m.Who(d)
	return p.Tier + ":" + p.Kind + "/" + who
}

func thresholds(m *learn.Model) string {
	var b strings.Builder
	for i, t := range m.Thresholds() {
		if i > 0 {
			b.WriteString(", ")
		}
		if t.Value >= learn.Never {
			fmt.Fprintf(&b, "%s never", t.Name)
			continue
		}
		fmt.Fprintf(&b, "%s %.3f", t.Name, t.Value)
	}
	return b.String()
}

func countWriters(rows []learn.Example) int {
	seen := map[string]bool{}
	for _, e := range rows {
		seen[e.Writer] = true
	}
	return len(seen)
}

func kb(n int) string { return fmt.Sprintf("%.1f KB", float64(n)/1024) }

// checkoutRoot returns the root of the helpline checkout the command runs
// in: the nearest directory up from here whose go.mod is module helpline.
func checkoutRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if raw, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(raw, []byte("module helpline\n")) {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("not inside the helpline checkout: run from it (the examples and models live there)")
		}
		dir = up
	}
}
