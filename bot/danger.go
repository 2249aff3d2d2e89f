package bot

import (
	"context"

	"helpline/bot/understand"
	"helpline/flows"
)

// Danger has two tiers. Urgent is answered at once with the
// help that fits, before the store is touched, and alerts staff. Concern
// asks directly, the ASQ way, "are you having thoughts of killing yourself
// right now?", through the session: yes is urgent, no resumes the
// screening with one line. The screening's safety question is the ASQ
// item: a yes asks the same question.

// dangerOutcome is the immediate answer to urgent danger, in lang.
func (e *Engine) dangerOutcome(f understand.DangerReading, lang string) Outcome {
	return Outcome{
		Replies: []Reply{e.dangerReply(f.Reply, lang, nil, f.Kind, flows.TierUrgent)},
		Events:  []Event{{Kind: EventCrisis, Crisis: f.Kind, Tier: flows.TierUrgent, Flow: e.flow.ID, Lang: lang, Layer: f.Layer, Prob: f.Prob}},
		Lang:    lang,
	}
}

// crisisReply renders reply name of the crisis file in lang, for s when
// known.
func (e *Engine) crisisReply(name, lang string, s *Session) string {
	c := e.flows.Crisis
	t, ok := c.Reply[name]
	if !ok {
		t = c.Reply["default"]
	}
	return e.render(t, lang, s)
}

// dangerReply is reply name of the crisis file as a reply to danger of kind
// and tier.
func (e *Engine) dangerReply(name, lang string, s *Session, kind string, tier flows.Tier) Reply {
	return Reply{Kind: ReplyDanger, Name: name, Text: e.crisisReply(name, lang, s), Danger: &Danger{Kind: kind, Tier: tier}}
}

// afterUrgent tells the conversation, when the store answers, of urgent
// danger already answered: the reply is said in the conversation's
// language, and at the safety question the danger is its answer, a yes,
// and the screening goes on to the next question. A failing store changes
// nothing: the answer stands.
func (e *Engine) afterUrgent(ctx context.Context, in Inbound, f understand.DangerReading, out *Outcome) {
	unlock, err := e.locks.lock(ctx, in.Key)
	if err != nil {
		return // the answer stands; the conversation is told next time
	}
	defer unlock()
	var next Outcome
	reply := f.Reply
	_ = e.store.Update(ctx, in.Key, func(s *Session) error {
		next, reply = Outcome{}, f.Reply
		if s.seen(in.MessageID) || s.Status == StatusOptedOut {
			return ErrNoWrite
		}
		// Every text is recorded with its time, danger too: a channel that
		// may answer only for a while after the texter wrote (WhatsApp's
		// 24 hours) reads it when staff reply. With no conversation, that
		// time and the message IDs are all that is kept: for the session's
		// time when there was none, for the hour DELETE keeps them after it.
		s.record(in.MessageID, nil, "", 0)
		s.Updated = in.Time.Unix()
		if s.Status == "" {
			s.TTL = e.ttl
			if s.Version > 0 {
				s.TTL = erasedTTL
			}
			return nil
		}
		t := turn{e: e, s: s, in: in, out: &next, msg: understand.NewMessage(e.flows, in.Text, s.Lang), answers: map[string]string{}}
		if s.Lang != "" && s.Lang != out.Lang {
			next.Lang = s.Lang
		}
		// Danger of no one in particular, in a screening about someone
		// else, is theirs: the reply speaks of them.
		g := e.crisis.For(f, s.Answers[e.flow.Audience])
		reply = g.Reply
		t.fillSafety(g.Finding)
		t.safetyYes()
		s.TTL = e.ttl
		return nil
	})
	if next.Lang != "" || reply != f.Reply {
		if next.Lang != "" {
			out.Lang = next.Lang
		}
		out.Replies[0] = e.dangerReply(reply, out.Lang, nil, f.Kind, flows.TierUrgent)
		for i := range out.Events {
			out.Events[i].Lang = out.Lang
		}
	}
	out.Replies = append(out.Replies, next.Replies...)
	out.Events = append(out.Events, next.Events...)
}

// fillSafety keeps, for when the screening reaches the safety question,
// the yes that words of suicide about the person it is for already gave:
// it is recorded then, not asked again.
func (t *turn) fillSafety(f understand.Finding) {
	s, fl := t.s, t.e.flow
	about := flows.WhoSelf
	if s.Answers[fl.Audience] == flows.WhoOther {
		about = flows.WhoOther
	}
	if f.Kind != "suicide" || f.Who != about {
		return
	}
	for _, st := range fl.Steps {
		if _, done := s.Answers[st.ID]; st.Safety && !done && st.ID != s.Step {
			if s.Fill == nil {
				s.Fill = map[string]string{}
			}
			s.Fill[st.ID] = "yes"
		}
	}
}

// concern asks the direct question about a text of the concern tier, about
// the other person when the texter speaks of someone else.
func (t *turn) concern(f understand.DangerReading) {
	t.handled = HandledDanger
	f = t.e.crisis.For(f, t.s.Answers[t.e.flow.Audience])
	t.fillSafety(f.Finding)
	who := f.Who
	t.askNow(WaitConcern, who)
	t.s.Kind = f.Kind
	if f.Layer == understand.LayerModel {
		// The model's reading: staff hear of it if the question goes
		// unanswered.
		t.event(Event{Kind: EventCheck, Crisis: f.Kind, Layer: f.Layer, Prob: f.Prob})
		return
	}
	t.event(Event{Kind: EventCrisis, Crisis: f.Kind, Tier: flows.TierConcern, Layer: f.Layer})
}

// check asks, about possible overdose, withdrawal or violence the model
// read, whether anyone is in danger right now (the question carries 911),
// and waits for the answer.
func (t *turn) check(f understand.DangerReading) {
	t.handled = HandledDanger
	f = t.e.crisis.For(f, t.s.Answers[t.e.flow.Audience])
	s := t.s
	s.Wait.wait(WaitCheck)
	s.About, s.Kind = f.Who, f.Kind
	t.say(t.e.checkQuestion(s))
	t.event(Event{Kind: EventCheck, Crisis: f.Kind, Layer: f.Layer, Prob: f.Prob})
}

// checkQuestion is the check question as a reply with a Yes and a No.
func (e *Engine) checkQuestion(s *Session) Reply {
	r := e.nowQuestion("check", s)
	r.Question.Step = CheckStep
	r.Danger = &Danger{Kind: s.Kind, Tier: flows.TierCheck}
	return r
}

// CheckStep is the step name of the check question in a typed answer.
const CheckStep = "check"

// checkReply handles the answer to the check question. Yes, or any hedge,
// is the urgent answer of the kind and alerts staff; no resumes where the
// screening was with one line. An answer that is neither is asked about
// once more, then taken as yes: when in doubt, alarm.
func (t *turn) checkReply() {
	s := t.s
	kind, who := s.Kind, s.About
	yes, no := t.yesOrNo()
	if !yes && !no && t.answeredQuestion() {
		t.say(t.e.checkQuestion(s))
		return
	}
	if !yes && !no && s.Unclear == 0 {
		s.Unclear++
		t.handled = HandledAskAgain
		t.say(t.e.checkQuestion(s))
		return
	}
	s.Wait.done()
	if no {
		t.handled = HandledAnswered
		t.say(Reply{Kind: ReplyMessage, Name: "check_no", Text: t.e.crisisReply("check_no", s.Lang, s)})
	} else {
		t.handled = HandledDanger
		reply := t.e.flows.Crisis.ReplyFor(&flows.DangerPattern{Kind: kind}, who)
		t.say(t.e.dangerReply(reply, s.Lang, s, kind, flows.TierUrgent))
		t.event(Event{Kind: EventCrisis, Crisis: kind, Tier: flows.TierUrgent, Layer: understand.LayerModel})
		t.out.heard(t.in.Text)
		if s.Status == StatusCompleted {
			return
		}
		t.tell("crisis_continue")
	}
	if s.Status != StatusCompleted {
		t.ask()
	}
}

// askNow asks whether the thoughts are there right now and waits for the
// answer: pending "concern" (after words of concern) or "now" (after a
// yes to the safety question).
func (t *turn) askNow(pending Waiting, who string) {
	s := t.s
	s.Wait.wait(pending)
	s.About = who
	s.Asked++
	name := "concern"
	if who == flows.WhoOther {
		name = "concern_other"
	}
	t.say(t.e.nowQuestion(name, s))
	t.event(Event{Kind: EventConcern})
}

// nowQuestion is the direct question (crisis reply name) as a reply with a
// Yes and a No, for channels with buttons; its labels are the safety
// question's.
func (e *Engine) nowQuestion(name string, s *Session) Reply {
	lang := s.Lang
	text := e.crisisReply(name, lang, s)
	p := &Question{Step: NowStep, Kind: flows.KindYesNo, Text: text,
		Choices: []Choice{{Number: 1, Value: "yes", Label: "Yes"}, {Number: 2, Value: "no", Label: "No"}}}
	for _, st := range e.flow.Steps {
		if !st.Safety {
			continue
		}
		for i, l := range e.flow.OptionLabels(st, lang) {
			if i < len(p.Choices) {
				p.Choices[i].Label = l
			}
		}
	}
	return Reply{Kind: ReplyDanger, Name: name, Text: text, Question: p, Danger: &Danger{Kind: "suicide", Tier: flows.TierConcern}}
}

// NowStep is the step name of the direct question in a typed answer.
const NowStep = "now"

// nowReply handles the answer to the direct question. Yes, or any hedge, is
// urgent; no resumes where the screening was with one line (after the
// safety question, staff hear of it as non-acute). An answer that is
// neither is asked about once more, then taken as yes: when in doubt,
// alarm.
func (t *turn) nowReply() {
	s := t.s
	pending, who := s.For, s.About
	yes, no := t.yesOrNo()
	if !yes && !no && t.answeredQuestion() {
		t.say(t.e.nowQuestion(map[bool]string{false: "concern", true: "concern_other"}[who == flows.WhoOther], s))
		return
	}
	if !yes && !no && s.Unclear == 0 {
		s.Unclear++
		t.handled = HandledAskAgain
		name := "concern"
		if who == flows.WhoOther {
			name = "concern_other"
		}
		t.say(t.e.nowQuestion(name, s))
		return
	}
	s.Wait.done()
	if !no {
		t.handled = HandledDanger
		reply := "suicide"
		if who == flows.WhoOther {
			reply = "suicide_other"
		}
		tier := flows.TierUrgent
		if pending == WaitConcern {
			tier = flows.TierConcernYes
		}
		t.say(t.e.dangerReply(reply, s.Lang, s, "suicide", tier))
		t.event(Event{Kind: EventCrisis, Crisis: "suicide", Tier: tier})
		t.out.heard(t.in.Text)
		if s.Status == StatusCompleted {
			return
		}
		// The screening can go on, where it was.
		t.tell("crisis_continue")
		if pending == WaitNow {
			t.advance(s.Step)
			return
		}
		t.ask()
		return
	}
	t.handled = HandledAnswered
	t.say(Reply{Kind: ReplyMessage, Name: "concern_no", Text: t.e.crisisReply("concern_no", s.Lang, s)})
	if pending == WaitNow {
		t.event(Event{Kind: EventCrisis, Crisis: "suicide", Tier: flows.TierNonAcute})
		t.advance(s.Step)
		return
	}
	if s.Status == StatusCompleted {
		return
	}
	t.ask()
}

// yesOrNo reads the answer to the direct question: "1" or "2", yes or no
// in any language, a hedge as yes.
func (t *turn) yesOrNo() (yes, no bool) {
	if a := t.in.Answer; a != nil && (a.Step == NowStep || a.Step == CheckStep) && len(a.Values) == 1 {
		return a.Values[0] == "yes", a.Values[0] == "no"
	}
	return understand.RightNow(t.msg, t.s.Lang)
}

// storeDownConcern is the answer to words of concern when the store is
// down: the answer to a question could not be tied to it, so 988 now.
func (e *Engine) storeDownConcern(f understand.DangerReading, lang string) Outcome {
	reply := "concern_down"
	if f.Tier == flows.TierCheck {
		// The answer to the check question could not be tied to it: the
		// kind's help now.
		reply = e.flows.Crisis.ReplyFor(&flows.DangerPattern{Kind: f.Kind}, f.Who)
	}
	return Outcome{
		Replies: []Reply{e.dangerReply(reply, lang, nil, f.Kind, flows.TierConcern)},
		Events:  []Event{{Kind: EventCrisis, Crisis: f.Kind, Tier: flows.TierConcern, Flow: e.flow.ID, Lang: lang}},
		Lang:    lang,
	}
}

// sureModel is the model's probability above which its reading stands even
// where the text answers the question asked.
const sureModel = 0.97

// weigh sets aside the model's reading of a text that answers the question
// it was asked ("she finishes a whole bottle of vodka" to "how many
// drinks"), unless the model is sure: the model reads a text without its
// question. The patterns' readings stand.
func (t *turn) weigh() {
	s, f := t.s, t.danger
	if f.Layer != understand.LayerModel || f.Prob >= sureModel || s.Status != StatusActive || s.For != WaitNone {
		return
	}
	st := t.e.flow.Step(s.Step)
	if st == nil || !st.Question() {
		return
	}
	if r := understand.Read(t.e.flow, st, s.Lang, t.msg, false, nil); r.Result == understand.Answered {
		t.danger = understand.DangerReading{Model: f.Model, ModelLang: f.ModelLang}
	}
}

// urgent answers urgent danger the model read, in the turn (the patterns'
// urgent readings are answered before the store, see afterUrgent): the
// reply, the alert, and at the safety question its yes.
func (t *turn) urgent(f understand.DangerReading) {
	s, e := t.s, t.e
	t.handled = HandledDanger
	if s.Status == "" {
		t.begin()
	}
	g := e.crisis.For(f, s.Answers[e.flow.Audience])
	t.say(e.dangerReply(g.Reply, s.Lang, s, g.Kind, flows.TierUrgent))
	t.event(Event{Kind: EventCrisis, Crisis: g.Kind, Tier: flows.TierUrgent, Layer: f.Layer, Prob: f.Prob})
	t.fillSafety(g.Finding)
	t.safetyYes()
}

// safetyYes takes urgent danger texted at the safety question as its
// answer, yes, and goes on to the next question.
func (t *turn) safetyYes() {
	s, e := t.s, t.e
	st := e.flow.Step(s.Step)
	if st == nil || s.Status != StatusActive || !st.Safety {
		return
	}
	s.Answers[st.ID] = "yes"
	s.History = append(s.History, st.ID)
	s.Wait.done()
	t.tell("crisis_continue")
	t.advance(e.next(s, st, "yes"))
}
