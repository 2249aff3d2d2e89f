package bot

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"helpline/bot/understand"
	"helpline/flows"
)

// answer reads the message as the answer to the current step: after a
// clarify, as the pick of a candidate; else with the step kind's parser.
// An answer that fits two or more options is asked about once; one that
// fits nothing is asked again saying what fits, and two misses offer a
// person.
func (t *turn) answer() {
	s, f := t.s, t.e.flow
	st := f.Step(s.Step)
	if st == nil {
		t.restart()
		return
	}
	r := t.readAnswer(st)
	if r.Result == understand.Clarify && s.Clarified == st.ID {
		r = understand.Reading{} // at most one clarify per step
	}
	switch r.Result {
	case understand.Clarify:
		s.Wait.wait(WaitClarify)
		s.Clarify, s.Clarified = &Clarify{Step: st.ID, Cands: r.Cands, Keep: r.Keep}, st.ID
		t.handled, t.cands = HandledClarify, r.Cands
		t.note(st)
		t.askClarify(st, r)
		return
	case understand.AskAgain:
		if st.Kind != flows.KindIntro || !t.mentions() || t.defers(st) {
			t.miss(st)
			return
		}
		// A reply to the greeting that already answers something ("my
		// husband drinks every night") wants to start.
		r = understand.Answer(st.Options[0].Value)
	}
	t.handled = HandledAnswered
	t.take(st, r.Value)
}

// readAnswer reads the message for st, as the pick of a clarify's
// candidates when one is open, and as a yes to a checklist shown with
// what was understood.
func (t *turn) readAnswer(st *flows.Step) understand.Reading {
	s := t.s
	if c := s.Clarify; c != nil && s.For == WaitClarify {
		s.Wait.done()
		if c.Step == st.ID {
			return t.readPick(st, c)
		}
	}
	if noted := s.Fill[st.ID]; noted != "" && st.Kind == flows.KindMulti {
		if yn, ok := understand.YesNoAny(t.msg); ok && yn == "yes" {
			return understand.Answer(noted)
		}
	}
	return understand.Read(t.e.flow, st, s.Lang, t.msg, false, t.why)
}

// readPick reads the reply to a clarify question: a number of a
// candidate, words of one, or an answer that fits one of them.
func (t *turn) readPick(st *flows.Step, c *Clarify) understand.Reading {
	s := t.s
	if nums, only := understand.LeadingNumbers(t.msg.Doc(s.Lang), len(c.Cands)); only {
		var picked []string
		for _, n := range nums {
			picked = append(picked, c.Cands[n-1])
		}
		if st.Kind == flows.KindMulti {
			picked = append(picked, c.Keep...)
		}
		if v, ok := understand.Combine(st, picked); ok {
			return understand.Answer(v)
		}
		return understand.Reading{}
	}
	r := understand.Read(t.e.flow, st, s.Lang, t.msg, false, t.why)
	if r.Result == understand.AskAgain {
		// "the pain ones": a word of one candidate's label.
		if v := t.oneCandidate(st, c.Cands); v != "" {
			r = understand.Answer(v)
		}
	}
	switch {
	case r.Result == understand.Answered && st.Kind == flows.KindMulti:
		v, _ := understand.Combine(st, append(strings.Split(r.Value, ","), c.Keep...))
		return understand.Answer(v)
	case r.Result == understand.Answered:
		return r
	case r.Result == understand.Clarify:
		// Still two: those that were offered before win.
		var both []string
		for _, v := range r.Cands {
			if slices.Contains(c.Cands, v) {
				both = append(both, v)
			}
		}
		if len(both) == 1 {
			return understand.Answer(both[0])
		}
	}
	if len(c.Keep) > 0 {
		// What was certain stays, shown when the question comes again.
		if s.Fill == nil {
			s.Fill = map[string]string{}
		}
		s.Fill[st.ID], _ = understand.Combine(st, c.Keep)
	}
	return understand.Reading{}
}

// oneCandidate returns the candidate whose label shares a word with the
// message when exactly one does ("the pain ones" for "Opioids (heroin,
// fentanyl, pain pills)").
func (t *turn) oneCandidate(st *flows.Step, cands []string) string {
	o := st.Match(t.s.Lang)
	if o == nil {
		return ""
	}
	d := t.msg.Doc(t.s.Lang)
	found := ""
	for _, v := range cands {
		for _, label := range o.Labels[v] {
			for _, i := range d.Content() {
				if len(d.Tokens[i].Word) > 2 && slices.Contains(label, d.Tokens[i].Stem) {
					if found != "" && found != v {
						return ""
					}
					found = v
				}
			}
		}
	}
	return found
}

// miss asks the question again, saying what kind of answer fits; the
// second miss in a row also offers a person.
func (t *turn) miss(st *flows.Step) {
	s := t.s
	quiet := t.in.Time.Unix()-s.Updated >= int64(t.e.resume/time.Second)
	if quiet && st.Question() {
		// Back after a while with "hi": their place, not a scolding.
		t.welcomeBack()
		return
	}
	t.handled = HandledAskAgain
	s.Misses++
	t.event(Event{Kind: EventMiss, Step: st.ID})
	t.note(st)
	switch {
	case !st.Question():
		// The greeting is long: one short line says what fits.
		t.say(Reply{Kind: ReplyMessage, Name: "hint", Text: t.hint(st)})
		return
	case s.Misses >= 3:
		// Never a loop of "didn't catch that": the question is left
		// unanswered and the screening goes on.
		s.Misses = 0
		t.tell("skipped")
		t.advance(t.e.next(s, st, ""))
		return
	case s.Misses == 2:
		t.tell("reprompt_call")
	default:
		t.say(Reply{Kind: ReplyMessage, Name: "reprompt", Text: strings.TrimSpace(strings.ReplaceAll(t.text("reprompt"), "{hint}", t.hint(st)))})
	}
	t.ask()
}

// hint says what kind of answer fits st: the step's own hint, or the fixed
// text hint_<kind>.
func (t *turn) hint(st *flows.Step) string {
	vars := t.e.vars(t.s)
	vars["{min}"], vars["{max}"] = strconv.Itoa(st.Min), strconv.Itoa(st.Max)
	if len(st.Hint) > 0 {
		return flows.Fill(st.Hint.In(t.s.Lang), vars)
	}
	return flows.Fill(t.e.flow.Text("hint_"+st.Kind, t.s.Lang), vars)
}

// askClarify asks which of the candidates the texter meant, numbered.
func (t *turn) askClarify(st *flows.Step, r understand.Reading) {
	q := &Question{Step: st.ID, Kind: st.Kind, Text: t.text("clarify")}
	for i, v := range r.Cands {
		q.Choices = append(q.Choices, Choice{Number: i + 1, Value: v, Label: t.label(st, v)})
	}
	t.say(Reply{Kind: ReplyClarify, Name: "clarify", Text: q.String(), Question: q})
}

// label returns how option v of st reads to this texter.
func (t *turn) label(st *flows.Step, v string) string {
	f := t.e.flow
	labels := f.OptionLabels(st, t.s.Lang)
	for i, have := range st.Values() {
		if have == v && i < len(labels) {
			return flows.Fill(labels[i], t.e.vars(t.s))
		}
	}
	return v
}

// said returns how an answer taken from an earlier text is said back: the
// option's said text, or its label.
func (t *turn) said(st *flows.Step, v string) string {
	if o := st.Option(v); o != nil && len(o.Said) > 0 {
		return flows.Fill(o.Said.In(t.s.Lang), t.e.vars(t.s))
	}
	var parts []string
	for _, one := range strings.Split(v, ",") {
		parts = append(parts, flows.LowerFirst(t.label(st, one)))
	}
	return strings.Join(parts, ", ")
}

// take records value as the answer to st and moves on.
func (t *turn) take(st *flows.Step, value string) {
	s := t.s
	s.Misses = 0
	t.answers[st.ID] = value
	opt := st.Option(value)
	if opt != nil && opt.Stay {
		t.say(Reply{Kind: ReplyMessage, Name: st.ID + "." + value, Text: flows.Fill(opt.Say.In(s.Lang), t.e.vars(s))})
		return
	}
	if st.Question() {
		s.Answers[st.ID] = value
		s.History = append(s.History, st.ID)
		delete(s.Fill, st.ID)
	} else {
		t.event(Event{Kind: EventStarted})
	}
	// The same text may answer later steps too ("every day, like 8 beers").
	t.note(st)
	next := t.e.next(s, st, value)
	if st.Safety && value == "yes" {
		// The ASQ item: a yes asks whether the thoughts are there right
		// now, about the person asked for; the screening goes on after.
		who := flows.WhoSelf
		if s.Answers[t.e.flow.Audience] == flows.WhoOther {
			who = flows.WhoOther
		}
		s.Step = next
		t.askNow(WaitNow, who)
		return
	}
	if s.Change != nil {
		// A later text contradicts an earlier answer: ask before going on.
		if next == flows.End {
			next = ""
		}
		s.Step = next
		s.Wait.wait(WaitChange)
		t.askChange()
		return
	}
	t.advance(next)
}

// advance goes to step next, skipping the steps already answered in
// earlier texts with a short say-back, and asks it (or ends with the
// summary).
func (t *turn) advance(next string) {
	s, f := t.s, t.e.flow
	for next != flows.End && next != "" {
		st := f.Step(next)
		v, filled := s.Fill[next]
		if st == nil || !filled || st.Kind == flows.KindMulti {
			break
		}
		delete(s.Fill, next)
		s.Answers[next] = v
		s.History = append(s.History, next)
		s.Filled = append(s.Filled, next)
		if !st.Safety {
			// The safety question's yes came from words of suicide, already
			// answered as such: it is not said back.
			t.say(Reply{Kind: ReplyMessage, Name: "filled", Text: strings.ReplaceAll(t.text("filled"), "{answer}", t.said(st, v))})
		}
		next = t.e.next(s, st, v)
	}
	if next == flows.End || next == "" {
		s.Status, s.Step = StatusCompleted, ""
		t.summary()
		t.event(Event{Kind: EventCompleted, Lean: t.out.Summary().Assessment.Lean})
		return
	}
	s.Step = next
	t.event(Event{Kind: EventStep, Step: next})
	t.ask()
}

// note reads the message for every step that takes answers from other
// texts (who, how often, how many, the checklists) other than the one
// answered: what it plainly says is kept for when that step comes. A
// value that contradicts an answer already given is asked about.
func (t *turn) note(current *flows.Step) {
	s, f := t.s, t.e.flow
	for _, st := range f.Steps {
		if !st.Fill || current != nil && st.ID == current.ID {
			continue
		}
		if current != nil && current.Kind == st.Kind && (st.Kind == flows.KindFrequency || st.Kind == flows.KindCount) {
			// The frequency that answered "how often six or more" is not
			// also how often they drink.
			continue
		}
		r := understand.Read(f, st, s.Lang, t.msg, true, nil)
		if r.Result != understand.Answered {
			continue
		}
		if had, ok := s.Answers[st.ID]; ok {
			// Only an answer taken from an earlier text, and only a
			// frequency or a count, is asked about again: a mother named
			// in "my mom supports me" does not change who this is for.
			if slices.Contains(s.Filled, st.ID) && (st.Kind == flows.KindFrequency || st.Kind == flows.KindCount) &&
				had != r.Value && s.Change == nil && s.For == WaitNone {
				s.Change = &Change{Step: st.ID, Value: r.Value}
			}
			continue
		}
		if s.Fill == nil {
			s.Fill = map[string]string{}
		}
		if st.Kind == flows.KindMulti && s.Fill[st.ID] != "" {
			v, ok := understand.Combine(st, append(strings.Split(s.Fill[st.ID], ","), strings.Split(r.Value, ",")...))
			if ok {
				s.Fill[st.ID] = v
			}
			continue
		}
		s.Fill[st.ID] = r.Value
		if st.Kind != flows.KindMulti {
			t.answers[st.ID] = r.Value
		}
	}
}

// mentions reports whether the message plainly answers a step that takes
// answers from other texts.
func (t *turn) mentions() bool {
	for _, st := range t.e.flow.Steps {
		if st.Fill && understand.Read(t.e.flow, st, t.s.Lang, t.msg, true, nil).Result == understand.Answered {
			return true
		}
	}
	return false
}

// defers reports whether a reply to the greeting names its "not now"
// option anywhere ("I need to speak with my husband first and get back to
// you"), which wins over what else it mentions.
func (t *turn) defers(st *flows.Step) bool {
	return understand.Defers(t.e.flow, st, t.s.Lang, t.msg)
}

// askChange asks whether a later text's answer should replace the earlier.
func (t *turn) askChange() {
	s, f := t.s, t.e.flow
	st := f.Step(s.Change.Step)
	text := t.text("change")
	text = strings.ReplaceAll(text, "{old}", t.said(st, s.Answers[st.ID]))
	text = strings.ReplaceAll(text, "{answer}", t.said(st, s.Change.Value))
	t.say(Reply{Kind: ReplyConfirm, Name: "change", Text: text})
}

// changeReply handles the answer to askChange; false when the message
// was not one.
func (t *turn) changeReply() bool {
	s := t.s
	ch := s.Change
	s.Change = nil // the wait for it ended already
	if ch == nil {
		return false
	}
	d := t.msg.Doc(s.Lang)
	yn, ok := understand.YesNoAny(t.msg)
	if nums, only := understand.LeadingNumbers(d, 2); only && len(nums) == 1 {
		yn, ok = []string{"yes", "no"}[nums[0]-1], true
	}
	if !ok {
		return false
	}
	if yn == "yes" {
		s.Answers[ch.Step] = ch.Value
		t.answers[ch.Step] = ch.Value
	}
	t.advance(s.Step)
	return true
}
