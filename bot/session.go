package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/fnv"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// Key identifies a conversation: a keyed hash of the phone number or Slack
// user, never the raw identifier.
type Key string

// Status is where a conversation stands.
type Status string

// Statuses of a conversation. The zero status is a conversation not begun
// (or erased).
const (
	StatusActive    Status = "active"
	StatusCompleted Status = "completed"
	StatusOptedOut  Status = "opted_out"
	StatusHandoff   Status = "handoff"
)

// Session is everything kept about one conversation, in parts that each
// reset on their own. The parts are embedded, so the stored form is one flat
// object whose short keys never change: every session is stored and read on
// every message, and sessions written by earlier versions load as they are.
type Session struct {
	Screening
	Wait
	Staff
	Limits
	Replay
	Lang   string `json:"l,omitempty"`
	Status Status `json:"st,omitempty"`

	// Version is the store's compare-and-set version; 0 for a new session.
	Version int64 `json:"-"`
	// TTL is how long the store keeps the session after this write.
	TTL time.Duration `json:"-"`
}

// Screening is where the screening stands: the step, the answers and what
// was understood ahead of its question.
type Screening struct {
	Flow        string            `json:"f,omitempty"`
	FlowVersion int               `json:"v,omitempty"`
	Step        string            `json:"s,omitempty"`
	Answers     map[string]string `json:"a,omitempty"`
	// History lists the answered questions in order, for BACK.
	History []string `json:"h,omitempty"`
	Misses  int      `json:"m,omitempty"`
	// Fill holds answers given before their step was asked ("my son
	// drinks every day": who and how often), by step; for a checklist,
	// what was understood of it so far (shown when it is asked).
	Fill map[string]string `json:"fl,omitempty"`
	// Filled lists the steps answered from earlier texts, not asked: they
	// are not counted in progress, and a later text that says otherwise
	// is asked about.
	Filled []string `json:"fd,omitempty"`
	// Clarified names the step clarified already: a second unclear answer
	// to it is asked again instead.
	Clarified string `json:"qd,omitempty"`
	// Asked counts the times the direct question about suicide was asked.
	Asked   int   `json:"ak,omitempty"`
	Started int64 `json:"t0,omitempty"` // unix seconds
}

// restart clears the answers and puts the screening at step.
func (sc *Screening) restart(step string) {
	*sc = Screening{Flow: sc.Flow, FlowVersion: sc.FlowVersion, Step: step, Answers: map[string]string{}, Asked: sc.Asked, Started: sc.Started}
}

// Wait is the one thing a conversation waits for before its next answer:
// For names it, the other fields are what that kind of wait keeps.
type Wait struct {
	For Waiting `json:"p,omitempty"`
	// About is whose thoughts the direct question asked about: "other"
	// when the texter spoke of someone else; Unclear counts the replies to
	// it that were neither yes nor no (WaitConcern, WaitNow).
	About   string `json:"ab,omitempty"`
	Unclear int    `json:"uc,omitempty"`
	// Kind is the kind of danger a check question asked about (WaitCheck).
	Kind string `json:"wk,omitempty"`
	// Clarify is the question asked about an answer that fit two or more
	// options: the next message picks one of its candidates (WaitClarify).
	Clarify *Clarify `json:"q,omitempty"`
	// Change is a later text that contradicts a filled answer: noted while
	// the screening goes on, then asked about (WaitChange).
	Change *Change `json:"ch,omitempty"`
}

// wait makes the conversation wait for kind, dropping any other wait; a
// noted change is kept until it is asked.
func (w *Wait) wait(kind Waiting) { *w = Wait{For: kind, Change: w.Change} }

// done ends the wait (a noted change stays).
func (w *Wait) done() { w.wait(WaitNone) }

// Staff is a handoff to a person.
type Staff struct {
	// Handoff is when the texter asked for a person, zero if never.
	Handoff int64 `json:"ho,omitempty"`
	// Before is the status to return to when a handoff to staff closes;
	// Relays counts the texts passed to staff during it.
	Before Status `json:"b,omitempty"`
	Relays int    `json:"rl,omitempty"`
}

// Limits is the per-number count of messages, kept with the session in the
// store (the one count every replica sees).
type Limits struct {
	// RateWin is the minute (unix/60) RateN counts messages in; RateWarned
	// is set once the texter was told to slow down in it.
	RateWin    int64 `json:"rw,omitempty"`
	RateN      int   `json:"rn,omitempty"`
	RateWarned bool  `json:"rx,omitempty"`
}

// Replay is what makes a retried message change nothing: the IDs taken
// and the replies to the newest, and when the texter last wrote.
type Replay struct {
	// IDs holds a 48-bit hash of every message ID the conversation took,
	// eight characters each, newest last, so a retried message changes
	// nothing for as long as the session is kept. Seen is the older form
	// (the last five IDs, 64-bit hashes), still read in sessions written
	// before. LastReplies are the replies to the newest message (LastKinds
	// their kinds, when not a message), less an ending that can be
	// rendered again from the session (LastTail), to keep sessions small.
	IDs         string      `json:"id,omitempty"`
	Seen        []string    `json:"sn,omitempty"`
	LastReplies []string    `json:"r,omitempty"`
	LastKinds   []ReplyKind `json:"rk,omitempty"`
	LastTail    Tail        `json:"rt,omitempty"`
	Updated     int64       `json:"t1,omitempty"` // unix seconds
}

// UnmarshalJSON reads a stored session, also as earlier versions wrote it:
// a clarify question was waited for without being named in the wait.
func (s *Session) UnmarshalJSON(b []byte) error {
	type stored Session // without this method
	if err := json.Unmarshal(b, (*stored)(s)); err != nil {
		return err
	}
	if s.For == WaitNone && s.Clarify != nil {
		s.For = WaitClarify
	}
	return nil
}

// Waiting names what a conversation waits for before its next answer. The
// values are stored: they never change.
type Waiting string

// What a conversation can wait for.
const (
	WaitNone Waiting = ""
	// WaitDelete waits for the texter to confirm erasing everything.
	WaitDelete Waiting = "delete"
	// WaitStart waits for "continue" or "start over".
	WaitStart Waiting = "start"
	// WaitChange waits for whether a later text's answer replaces an
	// earlier one (see Change).
	WaitChange Waiting = "change"
	// WaitConcern waits for the answer to the direct question about
	// thoughts of suicide right now, after words of concern.
	WaitConcern Waiting = "concern"
	// WaitNow is the same question after a yes to the safety question.
	WaitNow Waiting = "now"
	// WaitCheck waits for the answer to the check question about possible
	// danger of a kind the model read ("is anyone in danger right now?").
	WaitCheck Waiting = "check"
	// WaitClarify waits for which of two or more options an answer meant.
	WaitClarify Waiting = "clarify"
)

// Tail says how the replies recorded for a retried message end: with
// something the session renders again rather than stores.
type Tail string

// Endings of recorded replies. The values are stored: they never change.
const (
	TailNone     Tail = ""
	TailQuestion Tail = "q" // the current question
	TailSummary  Tail = "s" // the summary
)

// Clarify is a question about an answer that fit several options.
type Clarify struct {
	Step  string   `json:"s"`
	Cands []string `json:"c"`
	// Keep holds the values of a checklist already certain.
	Keep []string `json:"k,omitempty"`
}

// Change is a value a later text gave a step already answered.
type Change struct {
	Step  string `json:"s"`
	Value string `json:"v"`
}

// maxIDs bounds the message IDs a session remembers: far more than a
// day's conversation holds (a screening is about fifteen texts), while a
// number that writes without end cannot grow its session without end.
const maxIDs = 200

// idWidth is the width of one remembered ID in IDs.
const idWidth = 8

// idHash shortens a message ID (34 characters for Twilio) to 48 bits,
// written in eight characters: two retries of one ID always match, two
// IDs collide about once in 2^48.
func idHash(id string) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h.Sum64())
	return base64.RawURLEncoding.EncodeToString(b[2:])
}

// oldHash is how sessions written before IDs hashed a message ID.
func oldHash(id string) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	return strconv.FormatUint(h.Sum64(), 36)
}

// seen reports whether id was handled before.
func (s *Session) seen(id string) bool {
	if id == "" {
		return false
	}
	h := idHash(id)
	for i := 0; i+idWidth <= len(s.IDs); i += idWidth {
		if s.IDs[i:i+idWidth] == h {
			return true
		}
	}
	return slices.Contains(s.Seen, oldHash(id))
}

// newest reports whether id is the latest message handled.
func (s *Session) newest(id string) bool {
	if n := len(s.IDs); n >= idWidth {
		return s.IDs[n-idWidth:] == idHash(id)
	}
	return len(s.Seen) > 0 && s.Seen[len(s.Seen)-1] == oldHash(id)
}

// record remembers id and the replies sent to it: replies in full, less the
// last n, which tail says how to render again.
func (s *Session) record(id string, replies []Reply, tail Tail, n int) {
	if id == "" {
		return
	}
	s.IDs += idHash(id)
	if len(s.IDs) > maxIDs*idWidth {
		s.IDs = s.IDs[len(s.IDs)-maxIDs*idWidth:]
	}
	if tail == TailNone {
		n = 0
	}
	kept := replies[:len(replies)-n]
	s.LastReplies, s.LastKinds, s.LastTail = make([]string, len(kept)), nil, tail
	for i, r := range kept {
		s.LastReplies[i] = r.Text
		if r.Kind != ReplyMessage {
			if s.LastKinds == nil {
				s.LastKinds = make([]ReplyKind, len(kept))
			}
			s.LastKinds[i] = r.Kind
		}
	}
}

// recorded returns the replies recorded for the newest message, less the
// tail.
func (s *Session) recorded() []Reply {
	out := make([]Reply, len(s.LastReplies))
	for i, text := range s.LastReplies {
		out[i] = Reply{Kind: ReplyMessage, Text: text}
		if i < len(s.LastKinds) && s.LastKinds[i] != "" {
			out[i].Kind = s.LastKinds[i]
		}
	}
	return out
}

// erase forgets everything but the message IDs, so a retried DELETE or
// STOP is still recognised.
func (s *Session) erase() {
	*s = Session{Replay: Replay{IDs: s.IDs, Seen: s.Seen}, Version: s.Version}
}

// A Store loads and saves sessions. Implementations are safe for concurrent use.
type Store interface {
	// Update loads the session for key (a zero Session if there is none),
	// calls fn, and saves the result only if nobody else wrote it in between;
	// on conflict it loads again and calls fn again. If fn returns ErrNoWrite
	// nothing is saved and Update returns nil; any other error is returned.
	Update(ctx context.Context, key Key, fn func(*Session) error) error
	// Load returns the session stored for key (a zero Session if there is
	// none), for reads that change nothing; never a copy another writer
	// has moved on from.
	Load(ctx context.Context, key Key) (*Session, error)
	// Ping reports whether the store can be reached.
	Ping(ctx context.Context) error
}

// ErrNoWrite tells Store.Update that fn changed nothing worth saving.
var ErrNoWrite = errors.New("no write")

// ErrConflict is returned by Update when it gave up after too many
// concurrent writers.
var ErrConflict = errors.New("session changed concurrently too many times")

// NewKey returns the conversation key for id (an E.164 number, or a Slack
// team and user): HMAC-SHA256 under secret, hex, cut to 128 bits. Without
// the secret the key cannot be turned back into the number, even by
// trying every number.
func NewKey(secret []byte, id string) Key {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	return Key(hex.EncodeToString(m.Sum(nil)[:16]))
}

// Clone returns a deep copy of s, for stores that keep sessions in memory.
func (s *Session) Clone() *Session {
	c := *s
	deepCopy(reflect.ValueOf(&c).Elem())
	return &c
}

// deepCopy replaces, in place, every map, slice and pointer reachable from
// v with a copy, so a field added to any part is copied without a list
// kept by hand.
func deepCopy(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				deepCopy(v.Field(i))
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		p := reflect.New(v.Elem().Type())
		p.Elem().Set(v.Elem())
		deepCopy(p.Elem())
		v.Set(p)
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := range c.Len() {
			deepCopy(c.Index(i))
		}
		v.Set(c)
	case reflect.Map:
		if v.IsNil() {
			return
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			e := reflect.New(it.Value().Type()).Elem()
			e.Set(it.Value())
			deepCopy(e)
			c.SetMapIndex(it.Key(), e)
		}
		v.Set(c)
	}
}
