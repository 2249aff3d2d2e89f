package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"helpline/bot"
	"helpline/flows"
)

// Whole conversations, written by writers who never read the flows
// (flows/examples/CONVERSATIONS_BRIEF.md), are played through the engine as
// a texter would play them: each text is sent when the engine asks the step
// it was written for. What the session holds at the end is compared with
// what the writer says each text means, and the lean with the lean a
// careful clinician would give.

// Where the conversations are. The held-out ones are a final measurement
// made by someone else: never read them while working on understanding.
const (
	convTrainDir   = "../flows/examples/conversations"
	convHeldoutDir = "../flows/examples/heldout/conversations"
	// convHeldoutEnv must be "1" for TestHeldoutConversations to run.
	convHeldoutEnv = "HELPLINE_HELDOUT"
	// convVerboseEnv set to "1" logs every conversation's transcript.
	convVerboseEnv = "HELPLINE_CONV_TRANSCRIPTS"
)

// Bounds that keep the harness from hanging on an engine that changed
// under it.
const (
	convMaxTexts  = 60               // texts one conversation may send
	convTurnLimit = 10 * time.Second // one Handle, or one read of the session
)

// Floors for the training conversations, in percent: the figures measured
// when they were set, less 2 points. Raise them as understanding improves
// (the test prints the current figures).
const (
	convFloorAnswers = 89.0 // answers recorded as the writer meant (records): 417/458 = 91.0%
	convFloorHedges  = 93.0 // vague answers resolved to the writer's pick: 38/40 = 95.0%
	convFloorLeans   = 53.0 // leans equal to the clinician's: 22/40 = 55.0%
	convFloorAsks    = 66.6 // texters' questions answered: 24/35 = 68.6%
	// convMaxFalseAlarms bounds the danger replies in conversations that
	// hold no danger. The goal is none; 4 remain (2026-12-08), each
	// logged, and the test fails when there are more.
	convMaxFalseAlarms = 4
)

// convFile is one conversation as the writers wrote it.
type convFile struct {
	ID      string     `yaml:"id"`
	Lang    string     `yaml:"lang"`
	For     string     `yaml:"for"`
	Persona string     `yaml:"persona"`
	Lean    string     `yaml:"lean"`
	Why     string     `yaml:"why"`
	Turns   []convTurn `yaml:"turns"`

	file string
}

// convTurn is one text: the step it answers ("first" for the opening
// text), a question asked before it, what it plainly records for every
// step, and the option numbers the writer would pick if shown them.
type convTurn struct {
	Step    string                `yaml:"step"`
	Ask     string                `yaml:"ask"`
	Text    string                `yaml:"text"`
	Records map[string]convValues `yaml:"records"`
	Pick    []int                 `yaml:"pick"`
}

// convValues is a record: one value, or a list for a checklist.
type convValues []string

func (v *convValues) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*v = convValues{n.Value}
		return nil
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		*v = list
		return nil
	}
	return fmt.Errorf("line %d: a record is a value or a list of values", n.Line)
}

// convResult is what became of one conversation.
type convResult struct {
	ID, File      string
	Lang, GotLang string
	Texts         int
	Answers       map[string]string // the session's answers at the end
	Steps         []convStep        // every step the writer gave a meaning for
	Right, Total  int               // steps with a record
	HedgeRight    int               // steps with only a pick (a vague answer)
	Hedges        int
	Reasks        []convNote
	Dangers       []convDanger
	Asks          []convAsk
	Unwritten     []string // steps asked that no turn was written for
	Clarifies     int
	// ClarifyMissed are clarify questions whose candidates left out what
	// the writer meant.
	ClarifyMissed []convNote
	Confirms      int
	LeanGot       string
	LeanWant      string
	// LeanMeant is the lean the criteria give the answers as the writer
	// meant them: where it differs from LeanWant, the table decides the
	// lean differently from the clinician, whatever is understood.
	LeanMeant  string
	Problems   []string // the harness could not play it as written
	Transcript []string
	Finished   bool
	// From is, by step, the text that gave the session its value.
	From             map[string]string
	holdsDangerWords bool
}

// convStep is one step compared: what the writer meant and what the
// session holds.
type convStep struct {
	Step, Kind string
	Want, Got  string
	Hedge      bool   // Want is the writer's pick for a vague answer
	Text       string // the text written for the step
	From       string // the text the session's value came from, when another
	Filled     bool   // the step was answered from an earlier text, not asked
	OK         bool
	Criteria   bool // the criteria table reads this step
	Changes    string
}

// convNote is a "didn't catch that": the step, the text and the replies.
type convNote struct {
	Step, Text string
	Names      []string
}

// convDanger is a danger reply.
type convDanger struct {
	Step, Text, Name, Kind, Tier string
	// Expected is the direct question (ASQ) in a conversation whose
	// writer recorded a yes to the safety question.
	Expected bool
}

// convAsk is a texter's question and what became of it.
type convAsk struct {
	Step, Text string
	Answered   bool
	Taken      bool   // the question was also read as the step's answer
	Got        string // answer.<category>, or what happened instead
}

func readConversations(t *testing.T, dir string) []*convFile {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no conversations in %s", dir)
	}
	var convs []*convFile
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var c convFile
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		c.file = filepath.Base(file)
		if c.ID == "" {
			c.ID = strings.TrimSuffix(c.file, ".yaml")
		}
		convs = append(convs, &c)
	}
	return convs
}

// checkConversation reports what in c the flow cannot mean: a step it
// does not have, a value its step does not take, a pick out of range.
func checkConversation(f *flows.Flow, c *convFile) []string {
	var probs []string
	seen := map[string]bool{}
	if c.Lean != flows.LeanEither && c.Lean != flows.LeanIOP && c.Lean != flows.LeanInpatient {
		probs = append(probs, fmt.Sprintf("lean %q is not iop, inpatient or either", c.Lean))
	}
	if len(c.Turns) == 0 || c.Turns[0].Step != "first" {
		probs = append(probs, "the first turn is not step: first")
	}
	for i, tu := range c.Turns {
		if tu.Step != "first" && f.Step(tu.Step) == nil {
			probs = append(probs, fmt.Sprintf("turn %d: step %q is not in the flow", i+1, tu.Step))
		}
		if seen[tu.Step] {
			probs = append(probs, fmt.Sprintf("turn %d: a second turn for step %q", i+1, tu.Step))
		}
		seen[tu.Step] = true
		if strings.TrimSpace(tu.Text) == "" {
			probs = append(probs, fmt.Sprintf("turn %d (%s): no text", i+1, tu.Step))
		}
		for step, vals := range tu.Records {
			st := f.Step(step)
			if st == nil {
				probs = append(probs, fmt.Sprintf("turn %d (%s): records step %q, not in the flow", i+1, tu.Step, step))
				continue
			}
			if len(vals) > 1 && st.Kind != flows.KindMulti {
				probs = append(probs, fmt.Sprintf("turn %d (%s): %d values for %s, not a checklist", i+1, tu.Step, len(vals), step))
			}
			for _, v := range vals {
				if !slices.Contains(st.Values(), v) {
					probs = append(probs, fmt.Sprintf("turn %d (%s): %s: %q is not one of %v", i+1, tu.Step, step, v, st.Values()))
				}
			}
		}
		if st := f.Step(tu.Step); st != nil {
			for _, p := range tu.Pick {
				if p < 1 || p > len(st.Values()) {
					probs = append(probs, fmt.Sprintf("turn %d (%s): pick %d out of 1-%d", i+1, tu.Step, p, len(st.Values())))
				}
			}
		}
	}
	return probs
}

// turnFor returns the turn written for step, or nil.
func (c *convFile) turnFor(step string) *convTurn {
	for i := range c.Turns {
		if c.Turns[i].Step == step {
			return &c.Turns[i]
		}
	}
	return nil
}

// want returns what the writer meant for step: the record its own turn
// gives, else the last record another text gives, else (hedge) the
// options the writer would pick; ok is false when nothing is meant.
func (c *convFile) want(f *flows.Flow, step string) (vals []string, hedge, ok bool) {
	if tu := c.turnFor(step); tu != nil {
		if v, has := tu.Records[step]; has {
			return v, false, true
		}
	}
	for i := len(c.Turns) - 1; i >= 0; i-- {
		if v, has := c.Turns[i].Records[step]; has {
			return v, false, true
		}
	}
	if tu := c.turnFor(step); tu != nil && len(tu.Pick) > 0 {
		if vals := pickValues(f.Step(step), tu.Pick); len(vals) > 0 {
			return vals, true, true
		}
	}
	return nil, false, false
}

// safetyYes reports whether the writer recorded a yes to the safety
// question: the conversation holds words of concern, and the direct
// question (ASQ) is its designed answer.
func (c *convFile) safetyYes(f *flows.Flow) bool {
	for _, st := range f.Steps {
		if !st.Safety {
			continue
		}
		for _, tu := range c.Turns {
			if slices.Contains(tu.Records[st.ID], "yes") {
				return true
			}
		}
	}
	return false
}

// pickValues returns the values of st's options numbered picks.
func pickValues(st *flows.Step, picks []int) []string {
	if st == nil {
		return nil
	}
	vals := st.Values()
	var out []string
	for _, p := range picks {
		if p >= 1 && p <= len(vals) {
			out = append(out, vals[p-1])
		}
	}
	return out
}

// convLine is an engine on its own memory store: one conversation's line.
type convLine struct {
	eng *bot.Engine
	st  *memStore
	key bot.Key
	at  time.Time
	n   int
}

func newConvLine(t testing.TB, id string) *convLine {
	st := newMemStore()
	return &convLine{eng: newEngine(t, st), st: st, key: bot.Key("conv-" + id), at: time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)}
}

// within runs fn, giving up after convTurnLimit; a panic is an error with
// its stack.
func within(what string, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), convTurnLimit)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("%s panicked: %v\n%s", what, p, debug.Stack())
			}
		}()
		done <- fn(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(convTurnLimit + 2*time.Second):
		return fmt.Errorf("%s did not return within %v", what, convTurnLimit)
	}
}

// send hands text to the engine as the texter's next message.
func (l *convLine) send(text string) (bot.Outcome, error) {
	l.n++
	l.at = l.at.Add(20 * time.Second)
	in := bot.Inbound{Channel: "sms", Key: l.key, Text: text, MessageID: fmt.Sprintf("SMconv%04d", l.n), Time: l.at}
	var out bot.Outcome
	err := within(fmt.Sprintf("Handle(%q)", text), func(ctx context.Context) error {
		var err error
		out, err = l.eng.Handle(ctx, in)
		return err
	})
	return out, err
}

// session returns a copy of the conversation's session, nil if none.
func (l *convLine) session() (*bot.Session, error) {
	var s *bot.Session
	err := within("reading the session", func(ctx context.Context) error {
		return l.st.Update(ctx, l.key, func(got *bot.Session) error {
			if got.Version > 0 || got.Status != "" {
				s = got.Clone()
			}
			return bot.ErrNoWrite
		})
	})
	return s, err
}

// convPending is what the engine waits for after a reply.
type convPending struct {
	kind  string // question, clarify, now, check, change, start, delete, begin, done
	step  string
	cands []string // a clarify's candidates, in their numbered order
	q     *bot.Question
}

// pendingOf says what the session waits for, with the question the
// outcome asked, when it asked one.
func pendingOf(s *bot.Session, out bot.Outcome) (convPending, error) {
	q := out.Asked()
	dangered := slices.ContainsFunc(out.Replies, func(r bot.Reply) bool { return r.Kind == bot.ReplyDanger })
	switch {
	case (s == nil || s.Status == "") && dangered:
		// Urgent danger was answered before the conversation began: the
		// texter answers the help they were given.
		return convPending{kind: "begin"}, nil
	case s == nil:
		return convPending{}, errors.New("no session after the message")
	case s.Status == bot.StatusCompleted && s.For == bot.WaitNone:
		return convPending{kind: "done"}, nil
	case s.Status == bot.StatusOptedOut, s.Status == bot.StatusHandoff, s.Status == "":
		return convPending{}, fmt.Errorf("the conversation is %q", s.Status)
	}
	switch s.For {
	case bot.WaitConcern, bot.WaitNow:
		return convPending{kind: "now", step: s.Step, q: q}, nil
	case bot.WaitCheck:
		return convPending{kind: "check", step: s.Step, q: q}, nil
	case bot.WaitClarify:
		if s.Clarify == nil {
			return convPending{}, errors.New("waits for a clarify with no clarify question")
		}
		p := convPending{kind: "clarify", step: s.Clarify.Step, cands: s.Clarify.Cands}
		if q != nil && q.Step == s.Clarify.Step {
			p.q = q
			p.cands = nil
			for _, ch := range q.Choices {
				p.cands = append(p.cands, ch.Value)
			}
		}
		return p, nil
	case bot.WaitChange:
		if s.Change == nil {
			return convPending{}, errors.New("waits for a change with none noted")
		}
		return convPending{kind: "change", step: s.Change.Step}, nil
	case bot.WaitStart:
		return convPending{kind: "start", step: s.Step}, nil
	case bot.WaitDelete:
		return convPending{kind: "delete", step: s.Step}, nil
	case bot.WaitNone:
	default:
		return convPending{}, fmt.Errorf("waits for %q, unknown to this test", s.For)
	}
	if s.Status == bot.StatusCompleted {
		return convPending{kind: "done"}, nil
	}
	if s.Step == "" {
		return convPending{}, errors.New("active with no step")
	}
	p := convPending{kind: "question", step: s.Step}
	if q != nil && q.Step == s.Step {
		p.q = q
	}
	return p, nil
}

// replyNames lists the names of out's replies, a question as question:step.
func replyNames(out bot.Outcome) []string {
	var ns []string
	for _, r := range out.Replies {
		n := r.Name
		switch {
		case r.Kind == bot.ReplyQuestion && r.Question != nil:
			n = "question:" + r.Question.Step
		case r.Kind == bot.ReplySummary:
			n = "summary"
		case r.Kind == bot.ReplyClarify && r.Question != nil:
			var vals []string
			for _, ch := range r.Question.Choices {
				vals = append(vals, ch.Value)
			}
			n = "clarify:" + r.Question.Step + "[" + strings.Join(vals, " ") + "]"
		case n == "":
			n = string(r.Kind)
		}
		ns = append(ns, n)
	}
	return ns
}

// reprompted reports whether out says it did not catch the answer.
func reprompted(out bot.Outcome) bool {
	for _, r := range out.Replies {
		if strings.HasPrefix(r.Name, "reprompt") || r.Name == "hint" || r.Name == "skipped" {
			return true
		}
	}
	return false
}

// answeredName returns the name of an answer to a texter's question in
// out ("answer.cost"), or "".
func answeredName(out bot.Outcome) string {
	for _, r := range out.Replies {
		if strings.HasPrefix(r.Name, "answer.") {
			return r.Name
		}
	}
	return ""
}

// numbersFor returns the numbers, in choices, of the options valued vals.
func numbersFor(choices []bot.Choice, vals []string) []string {
	var nums []string
	for _, ch := range choices {
		if slices.Contains(vals, ch.Value) {
			nums = append(nums, strconv.Itoa(ch.Number))
		}
	}
	return nums
}

// choicesOf returns the numbered choices of the question for step: those
// the engine sent, else the step's options in order.
func choicesOf(f *flows.Flow, step string, q *bot.Question) []bot.Choice {
	if q != nil && q.Step == step && len(q.Choices) > 0 {
		return q.Choices
	}
	st := f.Step(step)
	if st == nil {
		return nil
	}
	var out []bot.Choice
	for i, v := range st.Values() {
		out = append(out, bot.Choice{Number: i + 1, Value: v})
	}
	return out
}

// playConversation plays c through the engine on line as a texter would:
// the first text, then, for every question the engine asks, the text
// written for its step (after the turn's own question, if it has one);
// the writer's picks for a clarify question or a question asked again;
// the first option for a step no text was written for; "no" to a question
// about danger. It records what the session holds at the end.
func playConversation(t testing.TB, f *flows.Flow, line *convLine, c *convFile) convResult {
	t.Helper()
	res := convResult{ID: c.ID, File: c.file, Lang: c.Lang, LeanWant: c.Lean, holdsDangerWords: c.safetyYes(f)}
	type stepState struct{ ask, text bool }
	state := map[string]*stepState{}
	stateOf := func(step string) *stepState {
		if state[step] == nil {
			state[step] = &stepState{}
		}
		return state[step]
	}
	unwritten := map[string]bool{}
	var summary *bot.Summary
	problem := func(format string, args ...any) {
		res.Problems = append(res.Problems, fmt.Sprintf(format, args...))
	}

	// send sends one text and notes what the reply says; it returns false
	// when the conversation cannot go on.
	var out bot.Outcome
	lastText := ""
	var prevFill, prevAns map[string]string
	fillFrom := map[string]string{}
	res.From = map[string]string{}
	send := func(text, step, role string) bool {
		res.Texts++
		lastText = text
		res.Transcript = append(res.Transcript, fmt.Sprintf("> [%s %s] %s", step, role, text))
		var err error
		out, err = line.send(text)
		if err != nil {
			problem("text %d (%s, %s) %q: %v", res.Texts, step, role, text, err)
			return false
		}
		res.Transcript = append(res.Transcript, "< "+strings.Join(replyNames(out), " | "))
		for _, r := range out.Replies {
			if r.Kind != bot.ReplyDanger {
				continue
			}
			d := convDanger{Step: step, Text: text, Name: r.Name}
			if r.Danger != nil {
				d.Kind, d.Tier = r.Danger.Kind, string(r.Danger.Tier)
			}
			d.Expected = res.holdsDangerWords && (r.Name == "concern" || r.Name == "concern_other")
			res.Dangers = append(res.Dangers, d)
		}
		if s := out.Summary(); s != nil {
			summary = s
		}
		if s, err := line.session(); err == nil && s != nil {
			// Which text gave each step its value, directly or by filling
			// it ahead of its question.
			for step, v := range s.Fill {
				if prevFill[step] != v {
					fillFrom[step] = text
				}
			}
			for step, v := range s.Answers {
				if prevAns[step] == v {
					continue
				}
				if src, ok := fillFrom[step]; ok && slices.Contains(s.Filled, step) && prevFill[step] == v {
					res.From[step] = src
				} else {
					res.From[step] = text
				}
			}
			prevFill, prevAns = maps.Clone(s.Fill), maps.Clone(s.Answers)
		}
		return true
	}

	if first := c.turnFor("first"); first == nil || !send(first.Text, "first", "text") {
		if first == nil {
			problem("no first text")
		}
		return finishConversation(f, line, c, &res, summary)
	}
play:
	for {
		s, err := line.session()
		if err != nil {
			problem("%v", err)
			break
		}
		p, err := pendingOf(s, out)
		if err != nil {
			problem("after text %d: %v (replies %v)", res.Texts, err, replyNames(out))
			break
		}
		if p.kind == "done" {
			res.Finished = true
			break
		}
		if res.Texts >= convMaxTexts {
			problem("no summary after %d texts: the engine still waits for %s %s", res.Texts, p.kind, p.step)
			break
		}
		if q := out.Asked(); p.kind == "question" && q != nil && q.Step != p.step {
			problem("after text %d the reply asks %q but the session waits at %q (replies %v)", res.Texts, q.Step, p.step, replyNames(out))
			break
		}
		if p.kind == "question" && out.Asked() == nil && !slices.Contains(replyNames(out), "hint") {
			res.Transcript = append(res.Transcript, "  (no question in the reply: the texter answers the step the session is at)")
		}
		tu := c.turnFor(p.step)
		ok := true
		switch p.kind {
		case "now", "check":
			ok = send("no", p.kind, "danger question")
		case "begin":
			ok = send("no", "first", "after danger")
		case "start":
			problem("asked to continue or start over at %s", p.step)
			ok = send("1", p.step, "continue")
		case "delete":
			problem("asked to confirm DELETE at %s", p.step)
			ok = send("no", p.step, "keep")
		case "change":
			res.Confirms++
			yes := "no"
			if want, _, has := c.want(f, p.step); has && s.Change != nil && sameValues(f.Step(p.step), s.Change.Value, want) {
				yes = "yes"
			}
			ok = send(yes, p.step, "change")
		case "clarify":
			res.Clarifies++
			text := "1"
			if tu != nil && len(tu.Pick) > 0 {
				want := pickValues(f.Step(p.step), tu.Pick)
				var nums []string
				for i, v := range p.cands {
					if slices.Contains(want, v) {
						nums = append(nums, strconv.Itoa(i+1))
					}
				}
				text = strings.Join(nums, " ")
				if len(nums) < len(want) {
					res.ClarifyMissed = append(res.ClarifyMissed, convNote{Step: p.step, Text: lastText,
						Names: []string{"offered " + strings.Join(p.cands, ","), "meant " + strings.Join(want, ",")}})
				}
				if text == "" {
					// None of the candidates is what they meant: they say it.
					text = optionWords(f, p.step, want, s.Lang)
				}
			}
			ok = send(text, p.step, "clarify")
		case "question":
			st := stateOf(p.step)
			before := len(s.History)
			switch {
			case tu == nil:
				if !unwritten[p.step] {
					unwritten[p.step] = true
					res.Unwritten = append(res.Unwritten, p.step)
				}
				ok = send("1", p.step, "unwritten")
			case tu.Ask != "" && !st.ask:
				st.ask = true
				if ok = send(tu.Ask, p.step, "ask"); ok {
					a := convAsk{Step: p.step, Text: tu.Ask}
					a.Got = answeredName(out)
					a.Answered = a.Got != ""
					after, _ := line.session()
					taken := after != nil && (len(after.History) > before || after.Step != p.step || after.Status == bot.StatusCompleted)
					if a.Answered && taken {
						a.Got += fmt.Sprintf(", and taken as the answer (%s=%q)", p.step, after.Answers[p.step])
						a.Taken = true
					}
					if !a.Answered {
						switch {
						case slices.Contains(replyNames(out), "call"):
							a.Got = "call (a person)"
						case reprompted(out):
							a.Got = "miss: " + strings.Join(replyNames(out), " ")
							res.Reasks = append(res.Reasks, convNote{Step: p.step, Text: tu.Ask, Names: replyNames(out)})
						case taken:
							a.Taken = true
							a.Got = fmt.Sprintf("taken as the answer (%s=%q)", p.step, after.Answers[p.step])
						default:
							a.Got = "other: " + strings.Join(replyNames(out), " ")
						}
					}
					res.Asks = append(res.Asks, a)
				}
				if !ok {
					break play
				}
				continue
			case !st.text:
				st.text = true
				ok = send(tu.Text, p.step, "text")
			default:
				// Asked again: the texter answers with the numbers.
				text := strings.Join(numbersFor(choicesOf(f, p.step, p.q), pickValues(f.Step(p.step), tu.Pick)), " ")
				if text == "" {
					text = "1"
				}
				ok = send(text, p.step, "numbers")
			}
			if ok && reaskedAfter(out, p.step) {
				res.Reasks = append(res.Reasks, convNote{Step: p.step, Text: lastText, Names: replyNames(out)})
			}
		}
		if !ok {
			break
		}
	}
	return finishConversation(f, line, c, &res, summary)
}

// reaskedAfter reports whether out, the reply to an answer to step, asks
// it again without having understood it: a reprompt, or the same question
// again with no clarify, no answer to a question and no danger reply.
func reaskedAfter(out bot.Outcome, step string) bool {
	if reprompted(out) {
		return true
	}
	for _, r := range out.Replies {
		if r.Kind == bot.ReplyClarify || r.Kind == bot.ReplyDanger || r.Kind == bot.ReplyConfirm || strings.HasPrefix(r.Name, "answer.") || r.Name == "call" {
			return false
		}
	}
	q := out.Asked()
	return q != nil && q.Step == step
}

// optionWords returns the labels of st's options vals, as a texter would
// say them when none of a clarify's candidates is what they meant.
func optionWords(f *flows.Flow, step string, vals []string, lang string) string {
	st := f.Step(step)
	if lang == "" {
		lang = "en"
	}
	labels := f.OptionLabels(st, lang)
	var words []string
	for i, v := range st.Values() {
		switch {
		case !slices.Contains(vals, v):
		case st.Kind == flows.KindScale || i >= len(labels) || labels[i] == "":
			words = append(words, v) // a point of a scale is its number
		default:
			words = append(words, labels[i])
		}
	}
	if len(words) == 0 {
		return "1"
	}
	return strings.Join(words, ", ")
}

// sameValues reports whether the session's value got for st is the
// writer's want (a checklist in any order).
func sameValues(st *flows.Step, got string, want []string) bool {
	if got == "" {
		return len(want) == 0
	}
	g := strings.Split(got, ",")
	if st == nil || st.Kind != flows.KindMulti {
		return len(want) == 1 && got == want[0]
	}
	a, b := slices.Clone(g), slices.Clone(want)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// finishConversation compares what the session holds with what c means.
func finishConversation(f *flows.Flow, line *convLine, c *convFile, res *convResult, summary *bot.Summary) convResult {
	s, err := line.session()
	if err != nil {
		res.Problems = append(res.Problems, err.Error())
	}
	if s != nil {
		res.Answers, res.GotLang = s.Answers, s.Lang
	}
	if summary != nil {
		res.LeanGot = summary.Assessment.Lean
	}
	used := criteriaSteps(line.eng.Flows())
	meant := map[string]string{}
	for _, st := range f.Steps {
		if want, _, ok := c.want(f, st.ID); ok && st.Question() {
			meant[st.ID] = strings.Join(want, ",")
		}
	}
	res.LeanMeant = bot.Assess(f, line.eng.Flows().Criteria, meant).Lean
	for _, st := range f.Steps {
		if !st.Question() {
			continue
		}
		want, hedge, ok := c.want(f, st.ID)
		if !ok {
			continue
		}
		cs := convStep{Step: st.ID, Kind: st.Kind, Want: strings.Join(want, ","), Got: res.Answers[st.ID], Hedge: hedge, Criteria: used[st.ID]}
		if tu := c.turnFor(st.ID); tu != nil {
			cs.Text = tu.Text
		}
		if s != nil {
			cs.Filled = slices.Contains(s.Filled, st.ID)
		}
		if from, ok := res.From[st.ID]; ok && from != cs.Text {
			cs.From = from
		}
		cs.OK = sameValues(st, cs.Got, want)
		if !cs.OK && cs.Criteria {
			cs.Changes = criteriaChange(line.eng.Flows(), res.Answers, st.ID, cs.Want)
		}
		if hedge {
			res.Hedges++
			if cs.OK {
				res.HedgeRight++
			}
		} else {
			res.Total++
			if cs.OK {
				res.Right++
			}
		}
		res.Steps = append(res.Steps, cs)
	}
	return *res
}

// criteriaSteps returns the steps the criteria table's indicators read,
// directly or through a score.
func criteriaSteps(set *flows.Set) map[string]bool {
	f := set.Screening()
	used := map[string]bool{}
	var walk func(c *flows.Cond)
	walk = func(c *flows.Cond) {
		if c == nil {
			return
		}
		if c.Step != "" {
			used[c.Step] = true
		}
		if c.Score != "" {
			for _, st := range f.Steps {
				if st.Score == c.Score {
					used[st.ID] = true
				}
			}
		}
		if c.Indicator != "" {
			if in := set.Criteria.Indicator(c.Indicator); in != nil {
				walk(in.When)
			}
		}
		for _, x := range c.Any {
			walk(x)
		}
		for _, x := range c.All {
			walk(x)
		}
		walk(c.Not)
	}
	for _, in := range set.Criteria.Indicators {
		walk(in.When)
	}
	return used
}

// criteriaChange says what the misread of step changes in the summary:
// the indicators that would hold with the meant answer, and the lean.
func criteriaChange(set *flows.Set, got map[string]string, step, want string) string {
	fixed := map[string]string{}
	for k, v := range got {
		fixed[k] = v
	}
	fixed[step] = want
	a := bot.Assess(set.Screening(), set.Criteria, got)
	b := bot.Assess(set.Screening(), set.Criteria, fixed)
	ids := func(as bot.Assessment) []string {
		var out []string
		for _, in := range as.Held {
			out = append(out, in.ID)
		}
		return out
	}
	ga, gb := ids(a), ids(b)
	var parts []string
	for _, id := range ga {
		if !slices.Contains(gb, id) {
			parts = append(parts, "+"+id)
		}
	}
	for _, id := range gb {
		if !slices.Contains(ga, id) {
			parts = append(parts, "-"+id)
		}
	}
	if a.Lean != b.Lean {
		parts = append(parts, fmt.Sprintf("lean %s (meant %s)", a.Lean, b.Lean))
	}
	return strings.Join(parts, " ")
}

// convTotals adds up the results of many conversations.
type convTotals struct {
	convs                  int
	right, total           int
	hedgeRight, hedges     int
	leansRight, leansMeant int
	// falseAlarms counts danger replies in conversations with no danger.
	falseAlarms                int
	reasks, dangers, alarms    int
	asksAnswered, asks         int
	clarifies, unwritten, errs int
	texts                      int
}

func (tt *convTotals) add(r convResult) {
	tt.convs++
	tt.right += r.Right
	tt.total += r.Total
	tt.hedgeRight += r.HedgeRight
	tt.hedges += r.Hedges
	if r.LeanGot == r.LeanWant {
		tt.leansRight++
	}
	if r.LeanMeant == r.LeanWant {
		tt.leansMeant++
	}
	tt.reasks += len(r.Reasks)
	tt.dangers += len(r.Dangers)
	for _, d := range r.Dangers {
		if !d.Expected {
			tt.alarms++
		}
	}
	for _, a := range r.Asks {
		tt.asks++
		if a.Answered {
			tt.asksAnswered++
		}
	}
	tt.clarifies += r.Clarifies
	tt.unwritten += len(r.Unwritten)
	tt.errs += len(r.Problems)
	tt.texts += r.Texts
}

func pct(k, n int) float64 {
	if n == 0 {
		return 100
	}
	return 100 * float64(k) / float64(n)
}

// runConversations plays every conversation in dir, logs a table and the
// misreads, and fails on alarms in harmless conversations and on broken
// play; it returns the totals.
func runConversations(t *testing.T, dir string) convTotals {
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	f := set.Screening()
	convs := readConversations(t, dir)
	for _, c := range convs {
		for _, p := range checkConversation(f, c) {
			t.Errorf("%s: %s", c.file, p)
		}
	}
	verbose := os.Getenv(convVerboseEnv) == "1"
	var results []convResult
	var tt convTotals
	for _, c := range convs {
		line := newConvLine(t, c.ID)
		r := playConversation(t, f, line, c)
		results = append(results, r)
		tt.add(r)
		for _, p := range r.Problems {
			t.Errorf("%s: %s", c.file, p)
		}
		if !r.Finished && len(r.Problems) == 0 {
			t.Errorf("%s: ended without a summary", c.file)
		}
		for _, d := range r.Dangers {
			switch {
			case !r.holdsDangerWords:
				tt.falseAlarms++
				t.Logf("FALSE ALARM %s: danger reply %q (%s %s) to %q at %s, in a conversation with no danger", c.file, d.Name, d.Kind, d.Tier, d.Text, d.Step)
			case !d.Expected:
				t.Logf("%s: danger reply %q (%s %s) to %q at %s; the writer recorded a yes to the safety question, no danger now", c.file, d.Name, d.Kind, d.Tier, d.Text, d.Step)
			}
		}
		if verbose || len(r.Problems) > 0 {
			t.Logf("%s transcript:\n  %s", c.file, strings.Join(r.Transcript, "\n  "))
		}
	}
	logConversations(t, results, tt)
	return tt
}

// logConversations logs the table, the totals and the misreads by kind.
func logConversations(t *testing.T, results []convResult, tt convTotals) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-7s %-2s %-3s %6s %6s %6s %5s %6s %5s %-11s %-9s %-9s %s\n", "conv", "ln", "got", "ans", "hedge", "reask", "dngr", "asked", "texts", "lean got", "lean want", "if read", "unwritten steps")
	for _, r := range results {
		lean := r.LeanGot
		if lean == "" {
			lean = "-"
		}
		mark := ""
		if r.LeanGot != r.LeanWant {
			mark = " *"
		}
		answered := 0
		for _, a := range r.Asks {
			if a.Answered {
				answered++
			}
		}
		danger := strconv.Itoa(len(r.Dangers))
		if len(r.Dangers) > 0 {
			exp := 0
			for _, d := range r.Dangers {
				if d.Expected {
					exp++
				}
			}
			if exp > 0 {
				danger = fmt.Sprintf("%d(%d)", len(r.Dangers), exp)
			}
		}
		fmt.Fprintf(&b, "%-7s %-2s %-3s %6s %6s %6d %5s %6s %5d %-11s %-9s %-9s %s\n", r.ID, r.Lang, r.GotLang,
			fmt.Sprintf("%d/%d", r.Right, r.Total), fmt.Sprintf("%d/%d", r.HedgeRight, r.Hedges), len(r.Reasks), danger,
			fmt.Sprintf("%d/%d", answered, len(r.Asks)), r.Texts, lean+mark, r.LeanWant, r.LeanMeant, strings.Join(r.Unwritten, ","))
	}
	b.WriteString("(dngr: danger replies, in brackets the direct question after a recorded yes to safety; * lean wrong;\n if read: the criteria's lean for the answers as the writer meant them)\n")
	fmt.Fprintf(&b, "\nTOTALS over %d conversations, %d texts:\n", tt.convs, tt.texts)
	fmt.Fprintf(&b, "  answers recorded as meant   %d/%d = %.1f%%\n", tt.right, tt.total, pct(tt.right, tt.total))
	fmt.Fprintf(&b, "  vague answers resolved      %d/%d = %.1f%% (to the writer's pick)\n", tt.hedgeRight, tt.hedges, pct(tt.hedgeRight, tt.hedges))
	fmt.Fprintf(&b, "  leans right                 %d/%d = %.1f%% (with every answer read as meant: %d/%d)\n", tt.leansRight, tt.convs, pct(tt.leansRight, tt.convs), tt.leansMeant, tt.convs)
	fmt.Fprintf(&b, "  texters' questions answered %d/%d = %.1f%%\n", tt.asksAnswered, tt.asks, pct(tt.asksAnswered, tt.asks))
	fmt.Fprintf(&b, "  re-asks (didn't catch that) %d\n", tt.reasks)
	fmt.Fprintf(&b, "  danger replies              %d, of which not the direct question after a yes to safety: %d\n", tt.dangers, tt.alarms)
	fmt.Fprintf(&b, "  clarify questions           %d; steps asked with no text written: %d; problems: %d\n", tt.clarifies, tt.unwritten, tt.errs)

	// Misreads, by kind.
	type misread struct {
		conv string
		convStep
	}
	kinds := map[string][]misread{}
	reaching, changing := 0, 0
	for _, r := range results {
		for _, cs := range r.Steps {
			if cs.OK {
				continue
			}
			kinds[misreadKind(cs)] = append(kinds[misreadKind(cs)], misread{r.ID, cs})
			if cs.Criteria && !cs.Hedge {
				reaching++
				if cs.Changes != "" {
					changing++
				}
			}
		}
	}
	fmt.Fprintf(&b, "  misreads on steps the criteria read: %d (change what the summary holds: %d)\n", reaching, changing)
	var names []string
	for k := range kinds {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if len(kinds[names[i]]) != len(kinds[names[j]]) {
			return len(kinds[names[i]]) > len(kinds[names[j]])
		}
		return names[i] < names[j]
	})
	b.WriteString("\nMISREADS by kind (conv step: got / want; text):\n")
	for _, k := range names {
		fmt.Fprintf(&b, "  %s: %d\n", k, len(kinds[k]))
		for _, m := range kinds[k] {
			got := m.Got
			if got == "" {
				got = "(none)"
			}
			extra := ""
			if m.Filled {
				extra += " [filled from an earlier text]"
			}
			if m.Changes != "" {
				extra += " [summary: " + m.Changes + "]"
			}
			fmt.Fprintf(&b, "    %s %s: %s / %s%s; %q\n", m.conv, m.Step, got, m.Want, extra, m.Text)
			if m.From != "" {
				fmt.Fprintf(&b, "        (value from %q)\n", m.From)
			}
		}
	}
	b.WriteString("\nRE-ASKS (conv step: replies; text):\n")
	for _, r := range results {
		for _, n := range r.Reasks {
			fmt.Fprintf(&b, "    %s %s: %s; %q\n", r.ID, n.Step, strings.Join(n.Names, " "), n.Text)
		}
	}
	b.WriteString("\nCLARIFY questions that left out what the writer meant (conv step: offered, meant; text):\n")
	for _, r := range results {
		for _, n := range r.ClarifyMissed {
			fmt.Fprintf(&b, "    %s %s: %s; %q\n", r.ID, n.Step, strings.Join(n.Names, "; "), n.Text)
		}
	}
	b.WriteString("\nTEXTERS' QUESTIONS not answered, or also read as an answer:\n")
	for _, r := range results {
		for _, a := range r.Asks {
			if !a.Answered || a.Taken {
				fmt.Fprintf(&b, "    %s %s: %s; %q\n", r.ID, a.Step, a.Got, a.Text)
			}
		}
	}
	b.WriteString("\nDANGER replies:\n")
	for _, r := range results {
		for _, d := range r.Dangers {
			fmt.Fprintf(&b, "    %s %s: %s (%s %s, expected=%v); %q\n", r.ID, d.Step, d.Name, d.Kind, d.Tier, d.Expected, d.Text)
		}
	}
	t.Log(b.String())
}

// misreadKind names the kind of a misread: the step's kind, and whether
// nothing was recorded, a vague answer was guessed, or a checklist was
// read in part.
func misreadKind(cs convStep) string {
	switch {
	case cs.Got == "":
		return cs.Kind + ": nothing recorded (step skipped or left unanswered)"
	case cs.Hedge:
		return cs.Kind + ": vague answer taken as another option than the writer's pick"
	case cs.Kind == flows.KindMulti:
		got, want := strings.Split(cs.Got, ","), strings.Split(cs.Want, ",")
		missing, extra := 0, 0
		for _, w := range want {
			if !slices.Contains(got, w) {
				missing++
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				extra++
			}
		}
		switch {
		case extra == 0:
			return "multi: items missed"
		case missing == 0:
			return "multi: items added"
		}
		return "multi: items missed and added"
	}
	return cs.Kind + ": another option recorded"
}

// Every training conversation is played through the engine: harmless
// screenings set off no danger reply, and answers, leans and texters'
// questions stay above their floors.
func TestConversations(t *testing.T) {
	t.Parallel()
	tt := runConversations(t, convTrainDir)
	if tt.falseAlarms > convMaxFalseAlarms {
		t.Errorf("%d danger replies in harmless conversations (logged above as FALSE ALARM), more than the %d that remain", tt.falseAlarms, convMaxFalseAlarms)
	}
	for _, fl := range []struct {
		name  string
		got   float64
		floor float64
	}{
		{"answers recorded as meant", pct(tt.right, tt.total), convFloorAnswers},
		{"vague answers resolved", pct(tt.hedgeRight, tt.hedges), convFloorHedges},
		{"leans right", pct(tt.leansRight, tt.convs), convFloorLeans},
		{"texters' questions answered", pct(tt.asksAnswered, tt.asks), convFloorAsks},
	} {
		t.Logf("floor %-28s now %5.1f%%, floor %5.1f%% (can be raised to %.1f)", fl.name, fl.got, fl.floor, fl.got-2)
		if fl.got < fl.floor {
			t.Errorf("%s fell to %.1f%%, below its floor of %.1f%%", fl.name, fl.got, fl.floor)
		}
	}
}

// The held-out conversations are a final measurement, run by whoever makes
// it with HELPLINE_HELDOUT=1: never tune understanding on them.
func TestHeldoutConversations(t *testing.T) {
	if os.Getenv(convHeldoutEnv) != "1" {
		t.Skipf("held-out conversations: set %s=1 to measure on them (a final measurement, never tuned on)", convHeldoutEnv)
	}
	runConversations(t, convHeldoutDir)
}

// The harness itself, on conversations answered with option numbers: it
// plays them to the summary, counts every answer right, sees a record the
// session does not hold, answers a step no text was written for, and goes
// on after a danger reply.
func TestConversationHarness(t *testing.T) {
	t.Parallel()
	set, err := flows.Default()
	if err != nil {
		t.Fatal(err)
	}
	f := set.Screening()
	rec := func(step string, vals ...string) map[string]convValues {
		return map[string]convValues{step: vals}
	}
	base := func() *convFile {
		return &convFile{ID: "H-1", file: "H-1.yaml", Lang: "en", For: "self", Turns: []convTurn{
			{Step: "first", Text: "hi"},
			{Step: "start", Text: "1", Records: rec("start", "yes"), Pick: []int{1}},
			{Step: "who", Text: "1", Records: rec("who", "self"), Pick: []int{1}},
			{Step: "concern", Text: "5", Records: rec("concern", "cannabis"), Pick: []int{5}},
			{Step: "medical", Text: "2", Records: rec("medical", "no"), Pick: []int{2}},
			{Step: "phq1", Text: "1", Records: rec("phq1", "not_at_all"), Pick: []int{1}},
			{Step: "phq2", Text: "1", Records: rec("phq2", "not_at_all"), Pick: []int{1}},
			{Step: "safety", Text: "2", Records: rec("safety", "no"), Pick: []int{2}},
			{Step: "treatment", Text: "1", Records: rec("treatment", "none"), Pick: []int{1}},
			{Step: "situation", Text: "1 2 3", Records: rec("situation", "home", "people", "ride"), Pick: []int{1, 2, 3}},
			{Step: "readiness", Text: "5", Records: rec("readiness", "5"), Pick: []int{5}},
			{Step: "insurance", Text: "1", Records: rec("insurance", "private"), Pick: []int{1}},
		}}
	}
	leanOf := func(c *convFile) string {
		given := map[string]string{}
		for _, st := range f.Steps {
			if want, _, ok := c.want(f, st.ID); ok && st.Question() {
				given[st.ID] = strings.Join(want, ",")
			}
		}
		return bot.Assess(f, set.Criteria, given).Lean
	}

	t.Run("numbers", func(t *testing.T) {
		c := base()
		c.Lean = leanOf(c)
		if probs := checkConversation(f, c); len(probs) > 0 {
			t.Fatalf("the test conversation does not fit the flow: %v", probs)
		}
		r := playConversation(t, f, newConvLine(t, c.ID), c)
		if !r.Finished || len(r.Problems) > 0 || r.Right != r.Total || r.Total != 10 || r.LeanGot != c.Lean || len(r.Reasks) > 0 || len(r.Dangers) > 0 {
			t.Fatalf("got %d/%d right, lean %q (want %q), finished %v, re-asks %v, dangers %v, problems %v\n%s",
				r.Right, r.Total, r.LeanGot, c.Lean, r.Finished, r.Reasks, r.Dangers, r.Problems, strings.Join(r.Transcript, "\n"))
		}
	})
	t.Run("a record the session does not hold", func(t *testing.T) {
		c := base()
		c.Turns[len(c.Turns)-1].Records = rec("insurance", "public")
		r := playConversation(t, f, newConvLine(t, c.ID), c)
		if r.Right != r.Total-1 {
			t.Fatalf("got %d/%d right, want one wrong (insurance)", r.Right, r.Total)
		}
	})
	t.Run("a step with no text", func(t *testing.T) {
		c := base()
		c.Turns = slices.DeleteFunc(c.Turns, func(tu convTurn) bool { return tu.Step == "medical" })
		r := playConversation(t, f, newConvLine(t, c.ID), c)
		if !r.Finished || !slices.Equal(r.Unwritten, []string{"medical"}) || r.Answers["medical"] != "yes" {
			t.Fatalf("unwritten %v, medical %q, finished %v: want medical answered with its first option", r.Unwritten, r.Answers["medical"], r.Finished)
		}
	})
	t.Run("danger first", func(t *testing.T) {
		c := base()
		c.Turns[0].Text = "I want to kill myself"
		r := playConversation(t, f, newConvLine(t, c.ID), c)
		if len(r.Dangers) == 0 || !r.Finished || len(r.Problems) > 0 {
			t.Fatalf("dangers %v, finished %v, problems %v\n%s", r.Dangers, r.Finished, r.Problems, strings.Join(r.Transcript, "\n"))
		}
	})
}
