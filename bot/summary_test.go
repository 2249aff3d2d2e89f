package bot_test

import (
	"maps"
	"strings"
	"testing"

	"helpline/bot"
	"helpline/flows"
)

// fitIOP is a screening that points to IOP: drinking without heavy daily
// use, good health, no low mood, no safety yes, a safe home, support, a
// ride and a job to keep.
var fitIOP = map[string]string{
	"who": "self", "concern": "alcohol", "audit1": "2to3week", "audit2": "3to4", "audit3": "monthly", "use": "none",
	"medical": "no", "phq1": "not_at_all", "phq2": "not_at_all", "safety": "no", "treatment": "none",
	"situation": "home,people,ride,obligations", "readiness": "4", "insurance": "private",
}

// answersWith returns fitIOP changed by kv; a value of "" leaves the step
// unanswered (skipped).
func answersWith(kv map[string]string) map[string]string {
	m := maps.Clone(fitIOP)
	for k, v := range kv {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// summaryOf renders the summary a texter with these answers reads in lang.
func summaryOf(t *testing.T, e *bot.Engine, lang string, answers map[string]string) *bot.Summary {
	t.Helper()
	sum := e.Summary(&bot.Session{Screening: bot.Screening{Flow: "screening", Answers: answers}, Lang: lang, Status: bot.StatusCompleted})
	if len(sum.Messages) != 2 {
		t.Fatalf("summary in %d messages: %q", len(sum.Messages), sum.Messages)
	}
	return sum
}

func reasonIDs(as bot.Assessment) []string {
	var ids []string
	for _, in := range as.Reasons {
		ids = append(ids, in.ID)
	}
	return ids
}

// The words each language uses for IOP as living at home, for the step-down
// line, and for what IOP needs when home is not a safe place.
var (
	liveAtHome = map[string]string{"en": "IOP: live at home", "es": "IOP: vive en casa"}
	stepDown   = map[string]string{"en": "step down to IOP", "es": "luego pasan al IOP"}
	needsHome  = map[string]string{"en": "it needs a safe, sober place to stay", "es": "necesita un lugar seguro y sin consumo donde vivir"}
)

// A texter who did not say they have a safe, sober place to live is never
// told IOP means living at home: they read what IOP needs and that
// inpatient gives a place to stay. One who did still reads "live at home".
func TestSummaryWithoutSafeHomeHasNoLiveAtHome(t *testing.T) {
	t.Parallel()
	e := newEngine(t, newMemStore())
	for _, tc := range []struct {
		name    string
		answers map[string]string
		home    bool
	}{
		{"homeless, with support", answersWith(map[string]string{"situation": "people,ride"}), false},
		{"none of these", answersWith(map[string]string{"situation": "none"}), false},
		{"home with people who use", answersWith(map[string]string{"situation": "obligations"}), false},
		{"situation skipped", answersWith(map[string]string{"situation": ""}), false},
		{"homeless and thoughts of death", answersWith(map[string]string{"situation": "people", "safety": "yes"}), false},
		{"safe home", fitIOP, true},
		{"safe home, medical", answersWith(map[string]string{"medical": "yes"}), true},
	} {
		for _, lang := range []string{"en", "es"} {
			sum := summaryOf(t, e, lang, tc.answers)
			all := strings.Join(sum.Messages, "\n")
			if got := strings.Contains(all, liveAtHome[lang]); got != tc.home {
				t.Errorf("%s (%s): says %q: %v, want %v:\n%s", tc.name, lang, liveAtHome[lang], got, tc.home, all)
			}
			if got := strings.Contains(all, needsHome[lang]); got == tc.home {
				t.Errorf("%s (%s): says %q: %v, want %v:\n%s", tc.name, lang, needsHome[lang], got, !tc.home, all)
			}
		}
	}
}

// The step-down line ("many people start inpatient and then step down to
// IOP") is said where starting inpatient is in question (a lean of
// inpatient or either), never to a texter IOP already fits.
func TestStepDownOnlyWhereItFits(t *testing.T) {
	t.Parallel()
	e := newEngine(t, newMemStore())
	for _, tc := range []struct {
		name    string
		answers map[string]string
		lean    string
	}{
		{"IOP fits", fitIOP, flows.LeanIOP},
		{"IOP fits, for someone else", answersWith(map[string]string{"who": "other"}), flows.LeanIOP},
		{"mental health only", answersWith(map[string]string{"concern": "mental_health", "audit1": "", "audit2": "", "audit3": "", "use": ""}), flows.LeanIOP},
		{"medical", answersWith(map[string]string{"medical": "yes"}), flows.LeanInpatient},
		{"no safe home", answersWith(map[string]string{"situation": "people,ride"}), flows.LeanInpatient},
		{"no ride", answersWith(map[string]string{"situation": "home,people"}), flows.LeanEither},
	} {
		for _, lang := range []string{"en", "es"} {
			sum := summaryOf(t, e, lang, tc.answers)
			if sum.Assessment.Lean != tc.lean {
				t.Fatalf("%s: lean %s, want %s", tc.name, sum.Assessment.Lean, tc.lean)
			}
			all := strings.Join(sum.Messages, "\n")
			want := tc.lean != flows.LeanIOP
			if got := strings.Contains(all, stepDown[lang]); got != want || (sum.StepDown != "") != want {
				t.Errorf("%s (%s, lean %s): step-down line %v, want %v:\n%s", tc.name, lang, tc.lean, got, want, all)
			}
		}
	}
}

// A manageable dual diagnosis (seed 001): substance use with a PHQ-2 of 3
// or 4, no safety yes, a safe home and support, and otherwise IOP-fit
// answers, leans IOP with care for both together and names the fuller
// mental-health assessment a positive PHQ-2 suggests. The highest-risk
// dimension still decides: each finding below moves the lean away from IOP.
func TestManageableDualDiagnosisLeansIOP(t *testing.T) {
	t.Parallel()
	e := newEngine(t, newMemStore())
	// Drinking, depressed more than half the days, a wife who supports him.
	dual := map[string]string{"phq1": "more_than_half", "phq2": "several"}
	with := func(kv map[string]string) map[string]string {
		m := maps.Clone(dual)
		maps.Copy(m, kv)
		return answersWith(m)
	}
	for _, tc := range []struct {
		name    string
		answers map[string]string
		lean    string
		reason  string
	}{
		{"PHQ-2 of 3", with(nil), flows.LeanIOP, "dual_moderate"},
		{"PHQ-2 of 4", with(map[string]string{"phq2": "more_than_half"}), flows.LeanIOP, "dual_moderate"},
		{"PHQ-2 of 4, cannabis", with(map[string]string{"phq2": "more_than_half", "concern": "cannabis", "audit1": "", "audit2": "", "audit3": "", "use": ""}), flows.LeanIOP, "dual_moderate"},
		{"PHQ-2 of 5", with(map[string]string{"phq1": "nearly_every", "phq2": "more_than_half"}), flows.LeanEither, "mood_severe"},
		{"safety yes", with(map[string]string{"safety": "yes"}), flows.LeanInpatient, "safety_risk"},
		{"heavy daily drinking", with(map[string]string{"audit3": "daily"}), flows.LeanInpatient, "heavy_daily"},
		{"past withdrawal seizures", with(map[string]string{"use": "withdrawal"}), flows.LeanInpatient, "withdrawal_history"},
		{"unstable health", with(map[string]string{"medical": "yes"}), flows.LeanInpatient, "medical"},
		{"relapse after IOP", with(map[string]string{"treatment": "relapse_outpatient"}), flows.LeanInpatient, "relapse_after_outpatient"},
		{"no safe home", with(map[string]string{"situation": "people,ride"}), flows.LeanInpatient, "no_safe_home"},
		{"no support", with(map[string]string{"situation": "home,ride"}), flows.LeanInpatient, "no_support"},
		{"court order", with(map[string]string{"situation": "home,people,ride,court"}), flows.LeanInpatient, "court_order"},
		{"daily opioids", with(map[string]string{"concern": "opioids", "audit1": "", "audit2": "", "audit3": "", "use": "daily"}), flows.LeanEither, "opioid_daily"},
		{"no ride", with(map[string]string{"situation": "home,people"}), flows.LeanEither, "no_ride"},
	} {
		for _, lang := range []string{"en", "es"} {
			sum := summaryOf(t, e, lang, tc.answers)
			as := sum.Assessment
			if as.Lean != tc.lean {
				t.Errorf("%s: lean %s, want %s", tc.name, as.Lean, tc.lean)
			}
			if ids := reasonIDs(as); !strings.Contains(" "+strings.Join(ids, " ")+" ", " "+tc.reason+" ") {
				t.Errorf("%s: reason %s not among %v", tc.name, tc.reason, ids)
			}
			// Wherever mood is a reason, the assessment is named.
			assessment := map[string]string{"en": "fuller mental-health assessment", "es": "evaluación de salud mental más completa"}[lang]
			if as.Lean != flows.LeanInpatient && !strings.Contains(sum.Messages[0], assessment) {
				t.Errorf("%s (%s): the fuller assessment is not named: %q", tc.name, lang, sum.Messages[0])
			}
		}
	}
	sum := summaryOf(t, e, "en", with(nil))
	for _, want := range []string{"an Intensive Outpatient Program (IOP) looks like a good fit",
		"suggest a fuller mental-health assessment", "treats mood and substance use together", "not a diagnosis"} {
		if !strings.Contains(sum.Messages[0], want) {
			t.Errorf("the dual-diagnosis summary lacks %q: %q", want, sum.Messages[0])
		}
	}
}

// Every summary, for a spread of answers in both languages and for both
// audiences (every finding that names a reason, with and without each
// other, and every insurance), fits its budget as written and as sent
// (transliterated to GSM-7), and says it is not a diagnosis.
func TestEverySummaryWithinBudget(t *testing.T) {
	t.Parallel()
	e := newEngine(t, newMemStore())
	situations := []string{"none", "home,people,ride,obligations", "home,people", "home,ride", "people,ride,obligations,court", "obligations"}
	notDiagnosis := map[string]string{"en": "This is not a diagnosis.", "es": "Esto no es un diagnóstico."}
	type axis struct {
		step   string
		values []string
	}
	axes := []axis{
		{"who", []string{"self", "other"}},
		{"concern", []string{"alcohol", "opioids,benzos", "mental_health"}},
		{"use", []string{"none", "daily", "daily,withdrawal"}},
		{"audit3", []string{"monthly", "daily"}},
		{"medical", []string{"no", "yes"}},
		{"phq2", []string{"not_at_all", "several", "nearly_every"}},
		{"safety", []string{"no", "yes"}},
		{"treatment", []string{"outpatient_ok", "relapse_outpatient"}},
		{"situation", situations},
		{"readiness", []string{"2"}}, // a fifth reason, the longest mix
		{"insurance", []string{"private", "public", "none", "unsure"}},
	}
	n, shortened := 0, 0
	var walk func(i int, answers map[string]string)
	walk = func(i int, answers map[string]string) {
		if i < len(axes) {
			for _, v := range axes[i].values {
				answers[axes[i].step] = v
				walk(i+1, answers)
			}
			return
		}
		for _, lang := range []string{"en", "es"} {
			sum := summaryOf(t, e, lang, answersWith(answers))
			n++
			for j, msg := range sum.Messages {
				if strings.Contains(msg, "{") {
					t.Fatalf("unfilled placeholder in %q", msg)
				}
				if got, budget := flows.Segments(msg), flows.SummaryBudget(msg); got > budget {
					t.Fatalf("message %d takes %d segments as written (budget %d): %q", j+1, got, budget, msg)
				}
				if got := flows.Segments(flows.Transliterate(msg)); got > flows.SummarySegments {
					t.Fatalf("message %d takes %d segments as sent (budget %d): %q", j+1, got, flows.SummarySegments, msg)
				}
			}
			if !strings.Contains(sum.Messages[0], notDiagnosis[lang]) {
				t.Fatalf("no %q in %q", notDiagnosis[lang], sum.Messages[0])
			}
			// The longest mixes name fewer, never fewer than two.
			named, found := len(sum.Reasons)+len(sum.Strengths), len(sum.Assessment.Reasons)+len(sum.Assessment.Strengths)
			if named < min(2, found) {
				t.Fatalf("%d of %d reasons named: %q", named, found, sum.Messages[0])
			}
			if named < found {
				shortened++
			}
		}
	}
	walk(0, map[string]string{"phq1": "more_than_half"})
	t.Logf("%d summaries, %d naming fewer reasons to fit", n, shortened)
	if shortened*50 > n {
		t.Errorf("%d of %d summaries name fewer reasons to fit: the reasons are too long", shortened, n)
	}
}
