package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"helpline/bot"
	"helpline/internal/config"
)

// noStore refuses every write: flows try holds no conversation.
type noStore struct{}

func (noStore) Load(context.Context, bot.Key) (*bot.Session, error) { return &bot.Session{}, nil }

func (noStore) Update(context.Context, bot.Key, func(*bot.Session) error) error {
	return errors.New("flows try keeps no conversation")
}
func (noStore) Ping(context.Context) error { return nil }

// flowsTry shows what the assistant makes of a text at a step, for flow
// authors: TEXT from the argument, or one text per line on stdin, each in
// a fresh conversation at STEP.
func flowsTry(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flows try", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("flows", "", "load flows from this directory instead of the built-in ones")
	lang := fs.String("lang", "en", "the conversation's language")
	forWhom := fs.String("for", "self", "who the texter asks for: self or other")
	asJSON := fs.Bool("json", false, "one JSON object per text per line")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: helpline flows try [--flows DIR] [--lang en|es] [--for self|other] [--json] STEP [TEXT]")
		fmt.Fprintln(stderr, "Shows what the assistant makes of TEXT (or of each line on stdin) at STEP of a fresh conversation.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(reorder(args)); err != nil {
		return 2
	}
	if fs.NArg() < 1 || *forWhom != "self" && *forWhom != "other" {
		fs.Usage()
		return 2
	}
	set, err := loadFlows(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "flows:\n%v\n", err)
		return 1
	}
	eng, err := bot.New(bot.Config{Flows: set, Store: noStore{}, SessionTTL: config.DefaultSessionTTL, OrgName: "Recovery Helpline", Phone: "1-800-662-4357"})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	step := fs.Arg(0)
	texts := fs.Args()[1:]
	if len(texts) > 0 {
		texts = []string{strings.Join(texts, " ")}
	} else {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			texts = append(texts, sc.Text())
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, text := range texts {
		tr, err := eng.Try(step, *lang, *forWhom, text)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		if *asJSON {
			if err := enc.Encode(tr); err != nil {
				fmt.Fprintln(stderr, err)
				return 1
			}
			continue
		}
		printTried(stdout, tr)
	}
	return 0
}

// printTried shows one try for people to read.
func printTried(w io.Writer, tr bot.Tried) {
	fmt.Fprintf(w, "%q at %s (%s): %s", tr.Text, tr.Step, tr.Lang, tr.Outcome)
	if len(tr.Candidates) > 0 {
		fmt.Fprintf(w, " between %s", strings.Join(tr.Candidates, ", "))
	}
	fmt.Fprintln(w)
	if tr.Intent != "" {
		fmt.Fprintf(w, "  asks: %s (%.2f)\n", tr.Intent, tr.IntentProb)
	}
	keys := make([]string, 0, len(tr.Answers))
	for k := range tr.Answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := tr.Answers[k]
		if vs, ok := v.([]string); ok {
			v = strings.Join(vs, ", ")
		}
		fmt.Fprintf(w, "  %s = %v\n", k, v)
	}
	for _, why := range tr.Why {
		fmt.Fprintf(w, "  because: %s\n", why)
	}
	for _, r := range tr.Replies {
		fmt.Fprintf(w, "  < %s\n", strings.ReplaceAll(r, "\n", "\n    "))
	}
}

// reorder moves flags after positional arguments to the front, so that
// "flows try start --json" works as well as "flows try --json start".
func reorder(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-"):
			flags = append(flags, a)
			if !strings.Contains(a, "=") && (a == "--lang" || a == "-lang" || a == "--for" || a == "-for" || a == "--flows" || a == "-flows") && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}
