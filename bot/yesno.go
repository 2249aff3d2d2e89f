package bot

// parseYesNo reads yes or no: "1" or "2", the language's ways of saying
// them, and the step's own words for each (naming a condition to the
// health question is a yes). After a contrast word the rest decides ("no
// but im pregnant" is yes). On the safety question any hedge anywhere
// ("sometimes", "kind of", "not really but sometimes", "i don't think so")
// is a yes: asking again costs a line, a missed yes can cost a life.
func parseYesNo(in *input) reading {
	st := in.step
	if nums, only := leadingNumbers(in.d, 2); only && len(nums) == 1 {
		return answer(st.Values()[nums[0]-1])
	}
	if st.Safety {
		for _, l := range in.msg.langs() {
			if len(in.msg.in(l).Find("hedges")) > 0 {
				in.because("on the safety question a hedge anywhere is yes")
				return answer("yes")
			}
		}
	}
	said, saidOK := yesNoAny(in.msg)
	pos, negs := positive(in.hits())
	// "no esta sano": a word for no, denied, says yes.
	yes, no := contains(pos, "yes") || contains(negs, "no"), contains(pos, "no")
	// The part after the last contrast word decides when it says anything.
	if last := lastContrast(in.d); last >= 0 {
		after, _ := positive(afterOnly(in, last))
		switch {
		case contains(after, "yes") && !contains(after, "no"):
			return answer("yes")
		case contains(after, "no") && !contains(after, "yes"):
			return answer("no")
		}
	}
	switch {
	case saidOK && said == "yes" && !no:
		return answer("yes")
	case saidOK && said == "no" && !yes:
		return answer("no")
	case saidOK && said == "no" && yes:
		// "no, my liver is bad": which is it?
		return ask(st, "yes", "no")
	case yes && !no:
		return answer("yes")
	case no && !yes:
		return answer("no")
	case !st.Safety && hedged(in):
		return ask(st, "yes", "no") // "maybe", "idk": which is closer?
	}
	return reading{}
}

// afterOnly returns the hits of the step's words after token i.
func afterOnly(in *input, i int) []hit {
	var out []hit
	for _, h := range in.hits() {
		if h.from > i {
			out = append(out, h)
		}
	}
	// Plain yes or no after the contrast count too: "idk but yes".
	rest := in.d.Tokens[i+1:]
	if len(rest) > 0 {
		sub := *in.d
		sub.Tokens = rest
		sub.Numbers = nil
		if yn, ok := yesNo(&sub); ok {
			out = append(out, hit{value: yn})
		}
	}
	return out
}

// hedged reports whether the message hedges ("maybe", "not sure").
func hedged(in *input) bool {
	for _, l := range in.msg.langs() {
		if len(in.msg.in(l).Find("hedges")) > 0 {
			return true
		}
	}
	return false
}
