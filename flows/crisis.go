package flows

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"

	"helpline/flows/text"
)

// Crisis is the danger check as data: word lists, the patterns of each
// kind and tier, the context that clears a match, and the replies.
type Crisis struct {
	Kind string `yaml:"kind"` // always "crisis"
	// Lists are named word lists, per language, that patterns use (@name).
	Lists map[string]map[string][]string `yaml:"lists"`
	// Patterns are tried in order; the first of the highest tier wins.
	Patterns []*DangerPattern `yaml:"patterns"`
	// Clear are the contexts that clear a match, tried in order.
	Clear []*ClearRule `yaml:"clear"`
	// Whose are patterns, per person ("self" or "other") and language,
	// that say whose danger a match is when its family does not: one
	// found over the match, or ending at most eight words before it,
	// names the person ("better off without me", "sin mi"; "he keeps
	// saying", "kill himself"). Under WhosePerson, words that name
	// someone else as the language's own list does ("homie", "mi pana").
	Whose map[string]map[string][]string `yaml:"whose"`
	// Reply are the replies by name: a kind ("overdose"), a kind for
	// someone else ("overdose_other"), a pattern's own reply
	// ("violence_child"), and the concern question and its answers.
	Reply map[string]Text `yaml:"reply"`

	File string     `yaml:"-"`
	root *yaml.Node // the file's YAML, for the lines of problems

	match map[string]*CrisisMatch
}

// Tier is how urgent danger is: the one type of it, from the crisis file
// to the staff alert.
type Tier string

// Tiers of danger. The crisis file's patterns are urgent or concern; the
// direct question turns a concern into one of the other two.
const (
	TierUrgent  Tier = "urgent"
	TierConcern Tier = "concern"
	// TierConcernYes is words of concern, then yes to the direct question:
	// danger now.
	TierConcernYes Tier = "concern_yes"
	// TierNonAcute is yes to the screening's safety question and no to
	// "right now": staff hear of it, not as danger now.
	TierNonAcute Tier = "non_acute"
	// TierCheck is possible danger the model read, not sure enough for the
	// urgent answer: a check question that fits the kind is asked, and yes
	// is urgent.
	TierCheck Tier = "check"
)

// Urgent reports whether the tier is danger now: staff are alerted at once
// and it counts as an escalation.
func (t Tier) Urgent() bool { return t == TierUrgent || t == TierConcernYes }

// Whose screening or danger it is: the texter's own, or someone else's.
// A danger pattern's WhoAny is read from the words before the match.
const (
	WhoSelf  = "self"
	WhoOther = "other"
	WhoAny   = "any"
)

// DangerPattern is one family of danger: its kind, tier, whose danger it
// is, and its patterns per language.
type DangerPattern struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	Tier Tier   `yaml:"tier"`
	// Who is self, other, or any (read from the words before the match).
	Who string `yaml:"who"`
	// Reply names the reply; by default the kind's (or kind_other's).
	Reply string `yaml:"reply"`
	// Soft marks patterns an idiom or a joke may clear.
	Soft    bool     `yaml:"soft"`
	English []string `yaml:"en"`
	Spanish []string `yaml:"es"`
	// Other are the patterns of languages other than English and Spanish.
	Other map[string][]string `yaml:",inline"`

	node *yaml.Node // the pattern in its file
}

// In returns the patterns of lang.
func (p *DangerPattern) In(lang string) []string {
	switch lang {
	case "en":
		return p.English
	case "es":
		return p.Spanish
	}
	return p.Other[lang]
}

// ClearRule is one context that clears a match of danger, unless one of
// its unless patterns is found too.
type ClearRule struct {
	Name string `yaml:"name"`
	// Kinds limits the rule to these kinds, Tiers to these tiers; all when
	// empty.
	Kinds []string `yaml:"kinds"`
	Tiers []Tier   `yaml:"tiers"`
	// Negated clears a match that stands in a negation's scope.
	Negated bool `yaml:"negated"`
	// Soft limits the rule to soft patterns.
	Soft bool `yaml:"soft"`
	// Anywhere, Near, Starts, Before and Covers are patterns per language:
	// found anywhere in the message; in the match's clause or the one next
	// to it; starting the match's clause, before the match; ending at most
	// eight words before the match, in its clause or the one before; or
	// overlapping the match.
	Anywhere map[string][]string `yaml:"anywhere"`
	Near     map[string][]string `yaml:"near"`
	Starts   map[string][]string `yaml:"starts"`
	Before   map[string][]string `yaml:"before"`
	Covers   map[string][]string `yaml:"covers"`
	// Unless keeps the alarm when one of its patterns is found in the
	// match's clause or the one next to it ("had a seizure years ago and
	// again this morning").
	Unless map[string][]string `yaml:"unless"`

	node *yaml.Node // the rule in its file
}

// WhosePerson names, in Crisis.Whose, the words that name someone else.
const WhosePerson = "person"

// CrisisMatch is the crisis file compiled for one language.
type CrisisMatch struct {
	// M finds the danger patterns, each named by its family's index.
	M *text.Matcher
	// Context finds the contexts of the clear rules, named as Clear says:
	// they are looked for only in a message where danger was found.
	Context *text.Matcher
	// Clear holds, per rule, its compiled contexts.
	Clear []ClearMatch
	// Whose holds the names the patterns of Crisis.Whose have in Context,
	// by person ("" for none).
	Whose map[string]string
}

// ClearMatch is a clear rule compiled for one language: the names its
// contexts' patterns have in Context ("" when the rule has no such
// context). Every context is found in one pass over a message.
type ClearMatch struct {
	Anywhere, Near, Starts, Before, Covers, Unless string
}

// Match returns the crisis file compiled for lang, or nil.
func (c *Crisis) Match(lang string) *CrisisMatch { return c.match[lang] }

// Family returns the danger family a match of M names.
func (c *Crisis) Family(name string) *DangerPattern {
	i, err := strconv.Atoi(name)
	if err != nil || i < 0 || i >= len(c.Patterns) {
		return nil
	}
	return c.Patterns[i]
}

// FamilyNamed returns the danger family called name, or nil.
func (c *Crisis) FamilyNamed(name string) *DangerPattern {
	for _, p := range c.Patterns {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// ReplyFor returns the name of the reply to family p for whose danger it
// is ("self" or "other").
func (c *Crisis) ReplyFor(p *DangerPattern, who string) string {
	if p.Reply != "" {
		return p.Reply
	}
	if who == WhoOther {
		if _, ok := c.Reply[p.Kind+"_other"]; ok {
			return p.Kind + "_other"
		}
	}
	if _, ok := c.Reply[p.Kind]; ok {
		return p.Kind
	}
	return "default"
}

// RequiredReplies are the replies the engine says besides the kinds'.
var RequiredReplies = []string{"default", "concern", "concern_other", "concern_no", "concern_down", "check", "check_no"}

func (c *Crisis) validate(ls map[string]*text.Language, langs []string, p *problems) {
	c.checkPatterns(langs, p)
	c.checkClear(p)
	for _, who := range sortedKeys(c.Whose) {
		if who != WhoSelf && who != WhoOther && who != WhosePerson {
			p.add(c.File, rootLine(c.root, "whose", who), "whose: %q is not self, other or person", who)
		}
	}
	for _, k := range append(append([]string{}, CrisisKinds...), RequiredReplies...) {
		if _, ok := c.Reply[k]; !ok {
			p.add(c.File, rootLine(c.root, "reply"), "reply: %q is missing", k)
		}
	}
	for _, k := range sortedKeys(c.Reply) {
		at := rootLine(c.root, "reply", k)
		checkText(c.Reply[k], langs, c.File, at, fmt.Sprintf("reply %q", k), p)
		for _, l := range langs {
			msg := Fill(c.Reply[k].In(l), Placeholders)
			if n, budget := Segments(msg), SummaryBudget(msg); n > budget {
				p.add(c.File, at, "reply %q: the %q text takes %d SMS segments; the budget is %d", k, l, n, budget)
			}
		}
	}
	c.match = map[string]*CrisisMatch{}
	for _, code := range langs {
		if l := ls[code]; l.Ready() { // else its own problems are reported
			c.compile(l, p)
		}
	}
}

// checkPatterns checks each danger family's names and labels.
func (c *Crisis) checkPatterns(langs []string, p *problems) {
	names := map[string]bool{}
	for i, dp := range c.Patterns {
		where := fmt.Sprintf("pattern %q", dp.Name)
		at := func(field string) int { return lineAt(dp.node, field) }
		if dp.Name == "" {
			p.add(c.File, rootLine(c.root, "patterns", i), "pattern %d: name is missing", i+1)
		}
		if names[dp.Name] {
			p.add(c.File, at("name"), "%s: defined twice", where)
		}
		names[dp.Name] = true
		if !contains(CrisisKinds, dp.Kind) {
			p.add(c.File, at("kind"), "%s: kind %q is not one of %v%s", where, dp.Kind, CrisisKinds, didYouMean(dp.Kind, CrisisKinds))
		}
		if dp.Tier != TierUrgent && dp.Tier != TierConcern {
			p.add(c.File, at("tier"), "%s: tier %q is not urgent or concern%s", where, dp.Tier, didYouMean(string(dp.Tier), []string{string(TierUrgent), string(TierConcern)}))
		}
		if dp.Who != "" && dp.Who != WhoSelf && dp.Who != WhoOther && dp.Who != WhoAny {
			p.add(c.File, at("who"), "%s: who %q is not self, other or any%s", where, dp.Who, didYouMean(dp.Who, []string{WhoSelf, WhoOther, WhoAny}))
		}
		if dp.Reply != "" {
			if _, ok := c.Reply[dp.Reply]; !ok {
				p.add(c.File, at("reply"), "%s: reply %q is not defined under reply%s", where, dp.Reply, didYouMean(dp.Reply, sortedKeys(c.Reply)))
			}
		}
		for _, l := range langs {
			if len(dp.In(l)) == 0 {
				p.add(c.File, at("name"), "%s: no %q patterns (missing translation)", where, l)
			}
		}
	}
}

// checkClear checks each clear rule's form.
func (c *Crisis) checkClear(p *problems) {
	for i, r := range c.Clear {
		at := func(field string) int { return lineAt(r.node, field) }
		if r.Name == "" {
			p.add(c.File, rootLine(c.root, "clear", i), "clear rule %d: name is missing", i+1)
		}
		for _, k := range r.Kinds {
			if !contains(CrisisKinds, k) {
				p.add(c.File, at("kinds"), "clear %q: kind %q is not one of %v%s", r.Name, k, CrisisKinds, didYouMean(k, CrisisKinds))
			}
		}
		for _, t := range r.Tiers {
			if t != TierUrgent && t != TierConcern {
				p.add(c.File, at("tiers"), "clear %q: tier %q is not urgent or concern", r.Name, t)
			}
		}
		if n := len(r.Anywhere) + len(r.Near) + len(r.Starts) + len(r.Before) + len(r.Covers); !r.Negated && n == 0 {
			p.add(c.File, at("name"), "clear %q: needs negated, anywhere, near, starts, before or covers", r.Name)
		} else if r.Negated && n > 0 {
			p.add(c.File, at("negated"), "clear %q: negated reads the negation itself; it takes no anywhere, near, starts, before or covers", r.Name)
		} else if n > 0 && !onlyOne(r.Anywhere, r.Near, r.Starts, r.Before, r.Covers) {
			p.add(c.File, at("name"), "clear %q: give only one of anywhere, near, starts, before or covers", r.Name)
		}
	}
}

// compile compiles the patterns and clear rules of language l into two
// matchers, one for danger, one for the contexts that clear it, each
// knowing the words of the other, and names each pattern that cannot be
// matched at its line.
func (c *Crisis) compile(l *text.Language, p *problems) {
	code := l.Code
	m, err := l.NewMatcher(c.Lists[code], true)
	if err != nil {
		p.add(c.File, rootLine(c.root, "lists", code), "lists %s: %v", code, err)
		return
	}
	ctx, err := l.NewMatcher(c.Lists[code], true)
	if err != nil {
		p.add(c.File, rootLine(c.root, "lists", code), "lists %s: %v", code, err)
		return
	}
	cm := &CrisisMatch{M: m, Context: ctx}
	for i, dp := range c.Patterns {
		for _, src := range dp.In(code) {
			if _, err := m.Add(strconv.Itoa(i), src); err != nil {
				p.add(c.File, valueLine(mapValue(dp.node, code), src), "pattern %q: %s %q cannot be matched: %v", dp.Name, code, src, err)
			} else {
				_ = ctx.Know(src) // it compiled in m
			}
		}
	}
	for i, r := range c.Clear {
		compile := func(field string, srcs map[string][]string) string {
			if len(srcs[code]) == 0 {
				return ""
			}
			name := fmt.Sprintf("clear %d %s", i, field)
			for _, src := range srcs[code] {
				if _, err := ctx.Add(name, src); err != nil {
					p.add(c.File, valueLine(mapValue(r.node, field), src), "clear %q: %s %s %q cannot be matched: %v", r.Name, field, code, src, err)
				} else {
					_ = m.Know(src) // it compiled in ctx
				}
			}
			return name
		}
		cm.Clear = append(cm.Clear, ClearMatch{
			Anywhere: compile("anywhere", r.Anywhere), Near: compile("near", r.Near), Starts: compile("starts", r.Starts), Before: compile("before", r.Before),
			Covers: compile("covers", r.Covers), Unless: compile("unless", r.Unless),
		})
	}
	cm.Whose = map[string]string{}
	for _, who := range sortedKeys(c.Whose) {
		name := "whose " + who
		for _, src := range c.Whose[who][code] {
			_ = m.Know(src)
			if _, err := ctx.Add(name, src); err != nil {
				p.add(c.File, valueLine(c.root, src), "whose %s: %s %q cannot be matched: %v", who, code, src, err)
				continue
			}
			cm.Whose[who] = name
		}
	}
	c.match[code] = cm
}

// onlyOne reports whether exactly one of ms is given.
func onlyOne(ms ...map[string][]string) bool {
	n := 0
	for _, m := range ms {
		if len(m) > 0 {
			n++
		}
	}
	return n == 1
}
