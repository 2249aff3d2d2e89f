package understand

import (
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"helpline/bot/understand/learn"
	"helpline/flows"
	"helpline/flows/text"
)

// The models the binary carries, trained from the examples beside the
// flows by "helpline train" (see package learn).
//
//go:embed models/danger.model models/intents.model
var modelFiles embed.FS

// modelRetrain is what to do about a model that does not fit.
const modelRetrain = "run go run ./cmd/helpline train"

// ModelFile returns the model file called name (learn.Danger or
// learn.Intents) as the binary carries it.
func ModelFile(name string) ([]byte, error) {
	return modelFiles.ReadFile("models/" + name + ".model")
}

// modelsDecoded decodes the embedded models once.
var modelsDecoded = sync.OnceValues(func() ([2]*learn.Model, error) {
	var ms [2]*learn.Model
	for i, name := range []string{learn.Danger, learn.Intents} {
		raw, err := ModelFile(name)
		if err != nil {
			return ms, fmt.Errorf("%s model: %w", name, err)
		}
		m, err := learn.Decode(raw)
		if err != nil {
			return ms, fmt.Errorf("%s model: %w: %s", name, err, modelRetrain)
		}
		if m.Name != name {
			return ms, fmt.Errorf("%s model: the file holds a %s model: %s", name, m.Name, modelRetrain)
		}
		ms[i] = m
	}
	return ms, nil
})

// modelsVerified remembers, for each set of flows, what VerifyModels said of
// the embedded models.
var modelsVerified sync.Map // *flows.Set -> error

// Models returns the danger and intents models the binary carries, decoded
// on first use. It refuses them (an error naming the cause) when they were
// trained with other language files than set's, or when they misread any
// of a fixed set of unmistakable texts.
func Models(set *flows.Set) (danger, intents *learn.Model, err error) {
	ms, err := modelsDecoded()
	if err != nil {
		return nil, nil, err
	}
	v, ok := modelsVerified.Load(set)
	if !ok {
		v, _ = modelsVerified.LoadOrStore(set, modelErr{VerifyModels(set, ms[0], ms[1])})
	}
	if err := v.(modelErr).err; err != nil {
		return nil, nil, err
	}
	return ms[0], ms[1], nil
}

// modelErr lets a nil error be stored in a sync.Map.
type modelErr struct{ err error }

// A modelSample is a text no model fit to ship may misread: what the
// danger model must decide ("urgent:<kind>", "check:<kind>" or "none"),
// and the intents model ("none" or an intent).
type modelSample struct {
	lang, text, danger, intent string
}

var modelSamples = []modelSample{
	{"en", "i just took the whole bottle of my sleeping pills", "urgent:overdose", ""},
	{"en", "i have the gun loaded in my lap and im going to kill myself tonight", "urgent:suicide", ""},
	{"en", "my husband is hitting me and he says he will kill me", "urgent:violence", ""},
	{"en", "stopped drinking 3 days ago and now im shaking and seeing bugs on the walls", "urgent:withdrawal", ""},
	{"en", "sometimes i wish i could go to sleep and never wake up", "check:suicide", ""},
	{"en", "i drink about 6 beers most nights after work", "none", "none"},
	{"en", "my boss is gonna kill me if im late again lol", "none", "none"},
	{"en", "how much does the program cost", "none", "cost"},
	{"en", "do you take medicaid", "none", "insurance"},
	{"en", "can i talk to a real person please", "none", "person"},
	{"es", "me tome todas las pastillas del frasco", "urgent:overdose", ""},
	{"es", "ya tengo la soga lista y me voy a matar esta noche", "urgent:suicide", ""},
	{"es", "mi esposo me esta golpeando y dice que me va a matar", "urgent:violence", ""},
	{"es", "ya no le veo sentido a nada, a veces quisiera no despertar", "check:suicide", ""},
	{"es", "tomo unas 6 cervezas casi todos los dias", "none", "none"},
	{"es", "mi jefe me va a matar si llego tarde", "none", "none"},
	{"es", "cuanto cuesta el programa", "none", "cost"},
	{"es", "aceptan medicaid", "none", "insurance"},
	{"es", "quiero hablar con una persona", "none", "person"},
}

// VerifyModels checks that danger and intents fit set's languages and read
// every sample text as they must.
func VerifyModels(set *flows.Set, danger, intents *learn.Model) error {
	// The models read the languages they were trained in (those of the
	// samples); a flow set may speak more, which the models do not read.
	known := map[string]*text.Language{}
	for _, smp := range modelSamples {
		if l := set.Langs[smp.lang]; l != nil {
			known[smp.lang] = l
		}
	}
	want := learn.LangDigest(known)
	var errs []error
	for _, m := range []*learn.Model{danger, intents} {
		if m.LangDigest != want {
			errs = append(errs, fmt.Errorf("%s model: trained with other language files (digest %s, these are %s): %s",
				m.Name, hex.EncodeToString(m.LangDigest[:6]), hex.EncodeToString(want[:6]), modelRetrain))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, s := range modelSamples {
		l := set.Langs[s.lang]
		if l == nil {
			continue
		}
		d := l.Read(s.text)
		if got := dangerDecision(danger.Predict(d)); got != s.danger {
			errs = append(errs, fmt.Errorf("danger model: reads %q (%s) as %s, want %s", s.text, s.lang, got, s.danger))
		}
		if s.intent == "" {
			continue
		}
		if got := intents.Predict(d).Class; got != s.intent {
			errs = append(errs, fmt.Errorf("intents model: reads %q (%s) as %s, want %s", s.text, s.lang, got, s.intent))
		}
	}
	if len(errs) > 0 {
		errs = append(errs, errors.New("a model that misreads these must not ship: add examples and "+modelRetrain))
	}
	return errors.Join(errs...)
}

// dangerDecision writes what the danger model decided: "urgent:<kind>",
// "check:<kind>" or "none".
func dangerDecision(p learn.Prediction) string {
	if p.Tier == "" {
		return learn.None
	}
	return p.Tier + ":" + p.Kind
}
