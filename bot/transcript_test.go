package bot_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"

	"helpline/bot"
	"helpline/flows"
	"helpline/internal/store/redistest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.txt with what the engine answers now")

// A transcript file holds what a person types ("> text"), directives
// ("@ wait 2h", "@ restart", "@ media", "@ carrier", "@ lang es": the next
// message comes from a channel that asks for that language, "@ store down"
// and "@ store up"), comments ("# ...") and,
// after each message, what the assistant answered ("< " lines, a lone "<"
// between two replies) and what it recorded ("! " events). Only the
// messages, directives and comments are read; the rest is regenerated and
// compared, or rewritten with -update.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no transcripts in testdata")
	}
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, file, string(raw), play(t, set, string(raw)), "TestTranscripts")
		})
	}
}

// golden compares a transcript played now with its file, or writes it
// with -update, and reports whether it did (the file then says nothing).
func golden(t *testing.T, file, was, now, test string) (updated bool) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(now), 0o644); err != nil {
			t.Fatal(err)
		}
		return true
	}
	if diff := cmp.Diff(was, now); diff != "" {
		t.Errorf("%s changed (-file +now); run go test ./bot -run %s -update to accept:\n%s", file, test, diff)
	}
	return false
}

// A third language from YAML alone: testdata/lang_pt holds the shipped
// flows with Portuguese added as text and data, and a language file with no
// stemmer. A whole screening in it, answered in words, reaches the summary.
func TestThirdLanguageFromYAML(t *testing.T) {
	t.Parallel()
	set, err := flows.Load(os.DirFS("testdata/lang_pt"))
	if err != nil {
		t.Fatalf("the Portuguese flows do not load:\n%v", err)
	}
	if set.Lang("pt").Code != "pt" || set.Lang("pt").Stemmer != "" {
		t.Fatalf("Portuguese is not read as its own language without a stemmer")
	}
	const file = "testdata/lang_pt/screening.txt"
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	got := play(t, set, string(raw))
	if golden(t, file, string(raw), got, "TestThirdLanguageFromYAML") {
		return
	}
	for _, want := range []string{"! completed", "Oi, aqui é Riverside Recovery"} {
		if !strings.Contains(got, want) {
			t.Errorf("the Portuguese screening lacks %q", want)
		}
	}
	if strings.Contains(got, "! miss") {
		t.Errorf("an answer in Portuguese words was not understood:\n%s", got)
	}
}

// play runs the script in raw against a fresh engine on miniredis and
// returns the transcript.
func play(t *testing.T, set *flows.Set, raw string) string {
	t.Helper()
	m := miniredis.RunT(t)
	newEngine := func() *bot.Engine {
		e, err := bot.New(bot.Config{Flows: set, Store: redistest.Store(t, m.Addr()), OrgName: "Riverside Recovery", Phone: "555-0100", SessionTTL: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	eng := newEngine()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	key := bot.NewKey([]byte("transcript-secret"), "+15555550123")
	var b strings.Builder
	var media, carrier bool
	var lang string
	n := 0
	for _, line := range strings.Split(strings.TrimRight(raw, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			b.WriteString(line + "\n")
		case strings.HasPrefix(line, "@ "):
			b.WriteString(line + "\n")
			args := strings.Fields(line[2:])
			switch args[0] {
			case "wait":
				d, err := time.ParseDuration(args[1])
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				now = now.Add(d)
				m.FastForward(d)
			case "restart":
				// A new process: nothing survives but Redis.
				eng = newEngine()
			case "media":
				media = true
			case "carrier":
				carrier = true
			case "lang":
				lang = args[1]
			case "store":
				// "@ store down": every command fails until "@ store up".
				if args[1] == "down" {
					m.SetError("LOADING Redis is loading the dataset in memory")
				} else {
					m.SetError("")
				}
			default:
				t.Fatalf("unknown directive %q", line)
			}
		case strings.HasPrefix(line, "> ") || line == ">":
			text := strings.TrimPrefix(strings.TrimPrefix(line, ">"), " ")
			b.WriteString(line + "\n")
			n++
			now = now.Add(time.Minute)
			in := bot.Inbound{Channel: "sms", Key: key, Text: text, MessageID: fmt.Sprintf("SM%032d", n), Time: now, CarrierReplied: carrier, Lang: lang}
			if media {
				in.Media = 1
			}
			media, carrier, lang = false, false, ""
			out, err := eng.Handle(context.Background(), in)
			writeOutcome(&b, out)
			if err != nil {
				// The store is down: what was answered stands, and the
				// channel hears of the error.
				b.WriteString("! error (store down)\n")
			}
		}
	}
	return b.String()
}

func writeOutcome(b *strings.Builder, out bot.Outcome) {
	for i, r := range out.Texts() {
		if i > 0 {
			b.WriteString("<\n")
		}
		for _, l := range strings.Split(r, "\n") {
			b.WriteString("< " + l + "\n")
		}
		if n := flows.Segments(r); n > 1 {
			fmt.Fprintf(b, "< [%d segments]\n", n)
		}
	}
	if len(out.Texts()) == 0 {
		b.WriteString("< [no reply]\n")
	}
	var evs []string
	for _, e := range out.Events {
		s := string(e.Kind)
		switch {
		case e.Crisis != "":
			s += " " + e.Crisis
			if e.Tier != "" && e.Tier != "urgent" {
				s += " (" + string(e.Tier) + ")"
			}
		case e.Lean != "":
			s += " " + e.Lean
		case e.Step != "":
			s += " " + e.Step
		}
		evs = append(evs, s)
	}
	if len(evs) > 0 {
		b.WriteString("! " + strings.Join(evs, "; ") + "\n")
	}
}
