package learn

import (
	"fmt"
	"strconv"
	"strings"
)

// Settings are the trainer's: they go into the model file and its digest.
type Settings struct {
	// Bits: features hash into 2^Bits buckets.
	Bits int
	// CharWeight is the weight of a character n-gram against a word's
	// before a text's features are normalised.
	CharWeight float64
	// Epochs are passes over the examples; Rate is AdaGrad's step and
	// L2 the weight decay.
	Epochs int
	Rate   float64
	L2     float64
	// MaxClassWeight caps a class's weight, the inverse of its share of
	// the examples (times the number of classes).
	MaxClassWeight float64
	// Folds is how many groups of writers validation holds out in turn.
	Folds int
	// Seed orders the examples of each epoch.
	Seed uint64
	// Precision is what the out-of-fold precision must reach at a
	// threshold: of any urgent class for Danger's urgent threshold, of
	// each class for Intents.
	Precision float64
	// FalseAlarm is the share of the None examples Danger's check
	// threshold may set off, out of fold.
	FalseAlarm float64
	// NonePerWriter is how many of each writer's None danger examples
	// Intents takes as its None class (0: all of them).
	NonePerWriter int
}

// DefaultSettings returns the settings the helpline's models are trained
// with.
func DefaultSettings(name string) Settings {
	s := Settings{
		Bits:           18,
		CharWeight:     0.3,
		Epochs:         10,
		Rate:           0.4,
		L2:             1e-2,
		MaxClassWeight: 3,
		Folds:          5,
		Seed:           20261208,
		Precision:      0.99,
		FalseAlarm:     0.01,
	}
	if name == Intents {
		s.Bits = 17
		s.Precision = 0.95
		s.FalseAlarm = 0
		s.NonePerWriter = 250
	}
	return s
}

// String writes the settings as the model file and the digest keep them:
// "bits=18 char=0.6 ...", always in the same order.
func (s Settings) String() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return strings.Join([]string{
		"bits=" + strconv.Itoa(s.Bits),
		"char=" + f(s.CharWeight),
		"epochs=" + strconv.Itoa(s.Epochs),
		"rate=" + f(s.Rate),
		"l2=" + f(s.L2),
		"maxclassweight=" + f(s.MaxClassWeight),
		"folds=" + strconv.Itoa(s.Folds),
		"seed=" + strconv.FormatUint(s.Seed, 10),
		"precision=" + f(s.Precision),
		"falsealarm=" + f(s.FalseAlarm),
		"noneperwriter=" + strconv.Itoa(s.NonePerWriter),
	}, " ")
}

// ParseSettings reads what String wrote.
func ParseSettings(str string) (Settings, error) {
	var s Settings
	seen := map[string]bool{}
	for _, kv := range strings.Fields(str) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return s, fmt.Errorf("setting %q: want key=value", kv)
		}
		if seen[k] {
			return s, fmt.Errorf("setting %q: given twice", k)
		}
		seen[k] = true
		var err error
		switch k {
		case "bits":
			s.Bits, err = strconv.Atoi(v)
		case "char":
			s.CharWeight, err = strconv.ParseFloat(v, 64)
		case "epochs":
			s.Epochs, err = strconv.Atoi(v)
		case "rate":
			s.Rate, err = strconv.ParseFloat(v, 64)
		case "l2":
			s.L2, err = strconv.ParseFloat(v, 64)
		case "maxclassweight":
			s.MaxClassWeight, err = strconv.ParseFloat(v, 64)
		case "folds":
			s.Folds, err = strconv.Atoi(v)
		case "seed":
			s.Seed, err = strconv.ParseUint(v, 10, 64)
		case "precision":
			s.Precision, err = strconv.ParseFloat(v, 64)
		case "falsealarm":
			s.FalseAlarm, err = strconv.ParseFloat(v, 64)
		case "noneperwriter":
			s.NonePerWriter, err = strconv.Atoi(v)
		default:
			return s, fmt.Errorf("setting %q: unknown", k)
		}
		if err != nil {
			return s, fmt.Errorf("setting %q: %w", k, err)
		}
	}
	return s, s.Check()
}

// Check reports settings the trainer cannot work with.
func (s Settings) Check() error {
	switch {
	case s.Bits < 8 || s.Bits > 24:
		return fmt.Errorf("bits %d: want 8 to 24", s.Bits)
	case s.CharWeight < 0:
		return fmt.Errorf("char weight %g: want 0 or more", s.CharWeight)
	case s.Epochs < 1:
		return fmt.Errorf("epochs %d: want 1 or more", s.Epochs)
	case s.Rate <= 0 || s.L2 < 0:
		return fmt.Errorf("rate %g, l2 %g: want a positive rate and l2 of 0 or more", s.Rate, s.L2)
	case s.MaxClassWeight < 1:
		return fmt.Errorf("max class weight %g: want 1 or more", s.MaxClassWeight)
	case s.Folds < 2:
		return fmt.Errorf("folds %d: want 2 or more", s.Folds)
	case s.Precision <= 0 || s.Precision > 1 || s.FalseAlarm < 0 || s.FalseAlarm > 1:
		return fmt.Errorf("precision %g, false alarm %g: want shares from 0 to 1", s.Precision, s.FalseAlarm)
	case s.NonePerWriter < 0:
		return fmt.Errorf("none per writer %d: want 0 or more", s.NonePerWriter)
	}
	return nil
}
