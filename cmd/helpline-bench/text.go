package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"helpline/bot"
	"helpline/bot/understand"
	"helpline/flows"
	"helpline/flows/text"
	"helpline/internal/config"
)

// sampleTexts are messages as people send them, for timing the text layer
// when the test tables are not at hand.
var sampleTexts = []string{
	"yeah", "nah", "2", "1 3", "like every day", "probably 6 or 7 beers", "3 or 4", "not really but sometimes",
	"not alcohol, just weed", "i dont drink, i smoke weed", "i have a place but no car", "todos los dias",
	"como 8 cervezas", "hey i need help", "my son is drinking every day", "blue cross through work",
	"i took a whole bottle of pills", "thinking about ending it all tonight", "my job is killing me",
	"he won't leave me alone", "STOP", "please stop texting me", "no tengo seguro", "mi hija toma pastillas",
	"i wanna stop drinkin but i cant", "💊💊💊 im done 😭", "tome muchas pastillas", "pretty ready",
	"idk maybe 5ish drinks on a friday", "my husband is hitting me right now, im hiding in the bathroom",
	"Sí, tengo Medi-Cal y un carro pero no tengo trabajo", "i had a seizure this morning after i stopped drinking",
}

// answerRow is one row of an answers table: a text at a step.
type answerRow struct{ step, lang, forWhom, text string }

// answerRows returns the rows of bot/testdata/answers*.tsv.
func answerRows() []answerRow {
	files, _ := filepath.Glob(filepath.Join("bot", "testdata", "answers*.tsv"))
	var out []answerRow
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for i, line := range strings.Split(string(raw), "\n") {
			c := strings.Split(line, "\t")
			if i == 0 || len(c) != 6 || strings.HasPrefix(line, "#") {
				continue
			}
			out = append(out, answerRow{c[0], c[1], c[2], c[3]})
		}
	}
	return out
}

// corpus returns the texts of the test tables (bot/testdata/*.tsv and
// bot/understand/testdata/*.tsv, column "text") when the benchmark runs
// from the repository, else sampleTexts.
func corpus() []string {
	files, _ := filepath.Glob(filepath.Join("bot", "testdata", "*.tsv"))
	more, _ := filepath.Glob(filepath.Join("bot", "understand", "testdata", "*.tsv"))
	files = append(files, more...)
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		col := -1
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
				continue
			}
			fields := strings.Split(line, "\t")
			if col < 0 {
				for i, h := range fields {
					if h == "text" {
						col = i
					}
				}
				if col < 0 {
					break
				}
				continue
			}
			if col < len(fields) {
				out = append(out, fields[col])
			}
		}
		fh.Close()
	}
	if len(out) == 0 {
		return sampleTexts
	}
	return out
}

// timing is the time per text of one operation over a corpus.
type timing struct {
	name     string
	texts    int
	p50, p99 time.Duration
}

// perText times fn on every text and returns the median and 99th
// percentile.
func perText(name string, texts []string, fn func(string)) timing {
	per := make([]time.Duration, 0, len(texts))
	for _, s := range texts {
		per = append(per, timeText(s, fn))
	}
	sort.Slice(per, func(i, j int) bool { return per[i] < per[j] })
	return timing{name: name, texts: len(texts), p50: per[len(per)/2], p99: per[len(per)*99/100]}
}

// timeText times fn on s, repeating it until the measurement is long
// enough to read, and returns the time of one.
func timeText(s string, fn func(string)) time.Duration {
	fn(s) // warm caches, as a running server has them
	n := 1
	for {
		t0 := time.Now()
		for i := 0; i < n; i++ {
			fn(s)
		}
		if d := time.Since(t0); d > 200*time.Microsecond || n >= 1<<14 {
			return d / time.Duration(n)
		}
		n *= 4
	}
}

// step is what every message goes through outside the store, timed per
// text.
type step struct {
	name string
	fn   func(string)
}

// textSteps returns the text layer (reading a text in every language,
// with its keywords) and the danger check.
func textSteps(set *flows.Set) ([]step, error) {
	langs := []*text.Language{set.Lang("en"), set.Lang("es")}
	read := step{"text layer (split, read in en and es, keyword)", func(s string) {
		ps := text.Split(s)
		for _, l := range langs {
			l.Keyword(l.ReadPieces(s, ps))
		}
	}}
	d, err := understand.NewDanger(set)
	if err != nil {
		return nil, err
	}
	// The whole check, both layers, from the raw text as it arrives: the
	// patterns (every language, clear rules) and the model.
	danger := step{"danger check (patterns and model, every language)", func(s string) { d.Check(s, "") }}
	return []step{read, danger}, nil
}

// textLayer measures, in this process, what every message costs before and
// around the store: reading it in every language with its keywords.
func textLayer() ([]timing, error) {
	set, err := flows.Default()
	if err != nil {
		return nil, err
	}
	texts := corpus()
	steps, err := textSteps(set)
	if err != nil {
		return nil, err
	}
	var ts []timing
	for _, st := range steps {
		ts = append(ts, perText(st.name, texts, st.fn))
	}
	eng, err := bot.New(bot.Config{Flows: set, Store: noStore{}, SessionTTL: config.DefaultSessionTTL, OrgName: "Recovery Helpline", Phone: "555-0100"})
	if err != nil {
		return nil, err
	}
	rows := answerRows()
	if len(rows) > 0 {
		byText := map[string]answerRow{}
		var texts []string
		for _, r := range rows {
			key := r.step + "\x00" + r.lang + "\x00" + r.forWhom + "\x00" + r.text
			byText[key] = r
			texts = append(texts, key)
		}
		ts = append(ts, perText("an answer at its step (read, parse, reply; no store)", texts, func(key string) {
			r := byText[key]
			eng.Try(r.step, r.lang, r.forWhom, r.text)
		}))
	}
	return ts, nil
}

// noStore keeps no conversation: Try needs none.
type noStore struct{}

func (noStore) Load(context.Context, bot.Key) (*bot.Session, error) { return &bot.Session{}, nil }

func (noStore) Update(context.Context, bot.Key, func(*bot.Session) error) error {
	return errors.New("the benchmark keeps no conversation")
}
func (noStore) Ping(context.Context) error { return nil }

func reportTimings(ts []timing) {
	for _, t := range ts {
		fmt.Printf("%-52s p50 %8s  p99 %8s  per text, over %d texts\n", t.name, t.p50.Round(10*time.Nanosecond), t.p99.Round(10*time.Nanosecond), t.texts)
	}
	fmt.Println()
}
