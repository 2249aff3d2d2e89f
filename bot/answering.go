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
	r, echo := t.readAnswer(st)
	if r.Confirm {
		if r = t.confirmed(st, r); r.Result == understand.Clarify {
			t.askConfirm(st, r)
			return
		}
		echo = false // said twice, shown once
	}
	if r.Result == understand.Clarify && (s.Clarified == st.ID || len(r.Cands) == 0) {
		r = understand.Reading{} // at most one clarify per step, and never one without its candidates
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
	if echo && st.Kind == flows.KindMulti {
		t.sayBack(st, r)
	}
	t.take(st, r.Value)
}

// confirmed returns a checklist answer too weighty to take unasked ("all
// of them" to a list with "none" and a court order) as an answer when it
// was shown already and is said again.
func (t *turn) confirmed(st *flows.Step, r understand.Reading) understand.Reading {
	if v, ok := understand.Combine(st, r.Cands); ok && t.s.Fill[st.ID] == v {
		return understand.Answer(v)
	}
	return r
}

// askConfirm shows such an answer with the question again ("So far I
// have: ... Reply YES if that's all, or every number that fits."), to be
// confirmed with YES or changed by number. It is not a miss.
func (t *turn) askConfirm(st *flows.Step, r understand.Reading) {
	s := t.s
	if s.Fill == nil {
		s.Fill = map[string]string{}
	}
	s.Fill[st.ID], _ = understand.Combine(st, r.Cands)
	t.handled, t.cands = HandledClarify, r.Cands
	t.note(st)
	t.ask()
}

// sayBack says what a checklist answered in words was read as, with the
// next question, so that a misreading shows and BACK can fix it: "Got it:
// a safe place and support, but not a ride." A flow without the text
// "checked" says nothing.
func (t *turn) sayBack(st *flows.Step, r understand.Reading) {
	text := t.text("checked")
	if text == "" {
		return
	}
	said := t.said(st, r.Value)
	if but := t.text("but_not"); len(r.Not) > 0 && but != "" {
		said += ", " + but + " " + t.saidList(st, r.Not, "list_or")
	}
	t.say(Reply{Kind: ReplyMessage, Name: "checked", Text: strings.ReplaceAll(text, "{answer}", said)})
}

// readAnswer reads the message for st, as the pick of a clarify's
// candidates when one is open, and as a yes to a checklist shown with
// what was understood. It reports whether the answer is to be said back:
// read from words, not picked by number nor confirmed as shown.
func (t *turn) readAnswer(st *flows.Step) (understand.Reading, bool) {
	s := t.s
	_, numbers := understand.LeadingNumbers(t.msg.Doc(s.Lang), len(st.Options))
	if c := s.Clarify; c != nil && s.For == WaitClarify {
		s.Wait.done()
		if c.Step == st.ID {
			return t.readPick(st, c), !numbers || len(c.Keep) > 0
		}
	}
	if noted := s.Fill[st.ID]; noted != "" && st.Kind == flows.KindMulti {
		switch yn, ok := understand.YesNoAny(t.msg); {
		case ok && yn == "yes":
			return t.withNoted(st, noted)
		case ok && yn == "no" && !understand.Names(t.e.flow, st, s.Lang, t.msg):
			// "no" to "So far I have: ... Reply YES if that's all" says the
			// list is not right, not "none of these": asked again.
			return understand.Reading{}, false
		}
	}
	return t.read(st), !numbers
}

// withNoted reads a yes to a checklist shown with what was understood:
// the noted answer, with what the rest of the text adds after "and" or
// "also" ("yes and pills sometimes": which pills, alcohol kept). Anything
// else after the yes is why, not more ("si, diario ... convulsiones ni nada
// de eso no").
func (t *turn) withNoted(st *flows.Step, noted string) (understand.Reading, bool) {
	if !understand.Adds(t.msg, t.s.Lang) {
		return understand.Answer(noted), false
	}
	r := t.read(st)
	kept := flows.Values(noted)
	switch {
	case r.Result == understand.Answered:
		if v, ok := understand.Combine(st, append(kept, r.Values()...)); ok && v != noted {
			return understand.Answer(v), true
		}
	case r.Result == understand.Clarify && !r.Confirm && !slices.ContainsFunc(r.Cands, func(v string) bool { return st.Option(v).Only }):
		r.Keep = append(r.Keep, kept...)
		return r, true
	}
	return understand.Answer(noted), false
}

// read reads the message as an answer to st, knowing whom the texter
// speaks of.
func (t *turn) read(st *flows.Step) understand.Reading {
	s := t.s
	other := s.Answers[t.e.flow.Audience] == flows.WhoOther
	return understand.ReadFor(t.e.flow, st, s.Lang, t.msg, false, other, t.why)
}

// readPick reads the reply to a clarify question: a number of a
// candidate, words of one, or an answer that fits one of them.
func (t *turn) readPick(st *flows.Step, c *Clarify) understand.Reading {
	s := t.s
	// A scale's candidates are named by their points ("4 or 5?"): a point
	// named is that point; a smaller number is a candidate's place.
	if nums, only := understand.LeadingNumbers(t.msg.Doc(s.Lang), len(c.Cands)); only && !pointNamed(st, c, nums) {
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
	r := t.read(st)
	if r.Result == understand.AskAgain {
		// "the pain ones": a word of one candidate's label.
		if v := t.oneCandidate(st, c.Cands); v != "" {
			r = understand.Answer(v)
		}
	}
	switch {
	case r.Result == understand.Answered && st.Kind == flows.KindMulti:
		// What was certain stays: an answer that cannot stand with it
		// ("mental health only" beside alcohol) is not the pick.
		if v, ok := understand.Combine(st, append(r.Values(), c.Keep...)); ok {
			return understand.Answer(v)
		}
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

// pointNamed reports whether nums, on a scale, name one of the candidate
// points themselves ("2" to "2 or 3?").
func pointNamed(st *flows.Step, c *Clarify, nums []int) bool {
	return st.Kind == flows.KindScale && len(nums) == 1 && slices.Contains(c.Cands, strconv.Itoa(nums[0]))
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

// askClarify asks which of the candidates the texter meant, numbered; a
// scale's candidates are its own points, named in the question ("Just to
// be sure, which is closest: 4 or 5 (very ready)?").
func (t *turn) askClarify(st *flows.Step, r understand.Reading) {
	q := &Question{Step: st.ID, Kind: st.Kind, Text: t.text("clarify")}
	if st.Kind == flows.KindScale {
		var points []string
		for _, v := range r.Cands {
			n, _ := strconv.Atoi(v)
			label := v
			switch n {
			case st.Min:
				label += " (" + st.Low.In(t.s.Lang) + ")"
			case st.Max:
				label += " (" + st.High.In(t.s.Lang) + ")"
			}
			q.Choices = append(q.Choices, Choice{Number: n, Value: v, Label: label})
			points = append(points, label)
		}
		q.Text = strings.ReplaceAll(t.text("clarify_scale"), "{answer}", t.joined(points, "list_or"))
		if q.Text == "" {
			q.Text = t.text("clarify") + " " + strings.Join(points, ", ")
		}
	} else {
		for i, v := range r.Cands {
			q.Choices = append(q.Choices, Choice{Number: i + 1, Value: v, Label: t.label(st, v)})
		}
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

// said returns how an answer is said back: each option's said text, or
// its label; a checklist's as a list ("a safe place and support").
func (t *turn) said(st *flows.Step, v string) string {
	return t.saidList(st, flows.Values(v), "list_and")
}

// saidList says values of st back, joined by commas and, before the last,
// the fixed text joiner ("and", "or") when the flow has it.
func (t *turn) saidList(st *flows.Step, vs []string, joiner string) string {
	var parts []string
	for _, v := range vs {
		if o := st.Option(v); o != nil && len(o.Said) > 0 {
			parts = append(parts, flows.Fill(o.Said.In(t.s.Lang), t.e.vars(t.s)))
			continue
		}
		parts = append(parts, flows.LowerFirst(t.label(st, v)))
	}
	return t.joined(parts, joiner)
}

// joined joins parts with commas and, before the last, the fixed text
// joiner ("and", "or") when the flow has it.
func (t *turn) joined(parts []string, joiner string) string {
	word := t.text(joiner)
	if len(parts) < 2 || word == "" {
		return strings.Join(parts, ", ")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + word + " " + parts[len(parts)-1]
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
				had != r.Value && s.Change == nil && s.For == WaitNone && t.aboutSubject(current, st) {
				s.Change = &Change{Step: st.ID, Value: r.Value}
			}
			continue
		}
		if s.Fill == nil {
			s.Fill = map[string]string{}
		}
		if st.Kind == flows.KindMulti && s.Fill[st.ID] != "" {
			v, ok := understand.Combine(st, append(flows.Values(s.Fill[st.ID]), r.Values()...))
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

// aboutSubject reports whether the message speaks of what st asks about
// (how often they drink: concern is alcohol): it answers a question about
// the same, or names it ("more like 2 beers"). "I take care of them all
// day" is not how often anyone drinks.
func (t *turn) aboutSubject(current, st *flows.Step) bool {
	sub, vals := t.e.subject(st)
	if sub == nil {
		return true
	}
	if current != nil {
		if cs, cvals := t.e.subject(current); cs == sub && len(cvals) > 0 && !slices.ContainsFunc(cvals, func(v string) bool { return !slices.Contains(vals, v) }) {
			return true
		}
	}
	r := understand.Read(t.e.flow, sub, t.s.Lang, t.msg, true, nil)
	return r.Result == understand.Answered && slices.ContainsFunc(r.Values(), func(v string) bool { return slices.Contains(vals, v) })
}

// subject returns the earlier step and its answers that st's question is
// about: the first condition up its chain that names answers (concern in
// alcohol, for how often and how many), or nil.
func (e *Engine) subject(st *flows.Step) (*flows.Step, []string) {
	for guard := 0; st != nil && guard <= len(e.flow.Steps); guard++ {
		c := st.When
		switch {
		case c == nil || c.Step == "":
			return nil, nil
		case len(c.In) > 0:
			return e.flow.Step(c.Step), c.In
		}
		st = e.flow.Step(c.Step)
	}
	return nil, nil
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

// changeWords reads a reply to askChange in words: the words of one of its
// choices ("change it", "keep it"), or the new answer or the old one named
// again ("one or two").
func (t *turn) changeWords(ch *Change) (string, bool) {
	s := t.s
	var choices []string
	for _, line := range strings.Split(t.text("change"), "\n") {
		if n, rest, ok := strings.Cut(line, " "); ok && (n == "1" || n == "2") {
			choices = append(choices, rest)
		}
	}
	if len(choices) == 2 {
		yes, no := understand.Within(t.msg, s.Lang, choices[0]), understand.Within(t.msg, s.Lang, choices[1])
		if yes != no {
			return map[bool]string{true: "yes", false: "no"}[yes], true
		}
	}
	if st := t.e.flow.Step(ch.Step); st != nil {
		switch r := t.read(st); {
		case r.Result != understand.Answered:
		case r.Value == ch.Value:
			return "yes", true
		case r.Value == s.Answers[st.ID]:
			return "no", true
		}
	}
	return "", false
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
		yn, ok = t.changeWords(ch)
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
