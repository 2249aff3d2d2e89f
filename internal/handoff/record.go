package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"helpline/bot"
	"helpline/internal/store/outbox"
)

// Handoff states.
const (
	stateOpen    = "open"
	stateClaimed = "claimed"
	stateClosed  = "closed"
)

// Record is what a card shows.
type Record struct {
	Key       bot.Key
	Masked    string
	Lang      string
	Lean      string
	Findings  []string
	Where     string // "question 5 of 12", for an unfinished screening
	Requested time.Time
	State     string
	ClaimedBy string
	ClaimedAt time.Time
	// ClosedBy is the staff member who closed it; empty when the texter
	// ended it (STOP, DELETE).
	ClosedBy string
	// Via is the channel the texter writes on ("sms", "whatsapp").
	Via     string `json:",omitempty"`
	Channel string
	TS      string
}

// card is the payload of a card's messages: which conversation.
type card struct{ Key bot.Key }

func (s *Service) record(ctx context.Context, key bot.Key) (*Record, error) {
	raw, err := s.hs.Record(ctx, key)
	if err != nil || raw == nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *Service) saveRecord(ctx context.Context, r *Record) error {
	data, _ := json.Marshal(r)
	return s.hs.SaveRecord(ctx, r.Key, data)
}

// open starts a handoff: it keeps the texter's address for replies, saves
// what the card shows and asks the outbox to post the card.
func (s *Service) open(ctx context.Context, key bot.Key, via, number, msgID string, h *bot.Handoff) error {
	if err := s.keepNumber(ctx, key, via, number); err != nil {
		return err
	}
	rec := Record{Key: key, Masked: Mask(number), Via: via, Requested: s.Now(), State: stateOpen}
	if h != nil {
		rec.Lang, rec.Lean, rec.Findings = h.Lang, h.Lean, h.Findings
		if h.Lean == "" && h.M > 0 {
			rec.Where = fmt.Sprintf("stopped at question %d of %d", h.N, h.M)
		}
	}
	data, _ := json.Marshal(rec)
	if err := s.hs.SaveRecord(ctx, key, data); err != nil {
		return err
	}
	return s.enqueue(ctx, "card:"+string(key)+":"+msgID, KindCard, card{Key: key})
}

// keepNumber keeps, sealed, the texter's address and the channel it is on,
// for replies to go back the way the texter wrote.
func (s *Service) keepNumber(ctx context.Context, key bot.Key, via, number string) error {
	if number == "" {
		return nil
	}
	sealed, err := s.seal.seal(via+addressSep+number, string(key))
	if err != nil {
		return err
	}
	return s.hs.KeepNumber(ctx, key, sealed)
}

// addressSep separates the channel from the address in what is sealed.
const addressSep = "|"

// address returns the channel and the address kept for key; an address
// kept before channels were recorded is an SMS number.
func (s *Service) address(ctx context.Context, key bot.Key) (via, number string, kept bool, err error) {
	sealed, kept, err := s.hs.Number(ctx, key)
	if err != nil || !kept {
		return "", "", kept, err
	}
	opened, err := s.seal.open(sealed, string(key))
	if err != nil {
		return "", "", true, err
	}
	via, number, found := strings.Cut(opened, addressSep)
	if !found {
		return "sms", opened, true, nil
	}
	return via, number, true, nil
}

func (s *Service) deliverCard(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := openPayload[card](s.seal, m)
	if err != nil {
		return err
	}
	r, err := s.record(ctx, p.Key)
	if err != nil {
		return err
	}
	if r == nil {
		return outbox.Permanent(errors.New("handoff expired or erased before its card was posted"))
	}
	if r.TS != "" {
		return nil // posted already
	}
	fallback, blocks := CardBlocks(r, s.Names)
	ts, err := slack.Post(ctx, s.IntakeChannel, "", fallback, blocks)
	if err != nil {
		return err
	}
	r.Channel, r.TS = s.IntakeChannel, ts
	if err := s.saveRecord(ctx, r); err != nil {
		return err
	}
	if err := s.hs.MapThread(ctx, r.Channel, ts, r.Key); err != nil {
		return err
	}
	// What the texter wrote while the card was on its way follows it at
	// once, in order; what fails here is posted by the relays' own messages.
	if err := s.flush(ctx, slack, r); err != nil {
		s.Log.Warn("relays after the card: left to their own messages", "conv", string(r.Key), "err", err)
	}
	return nil
}

// posted returns the handoff record once its card is in Slack; until then
// the message waits, and without a handoff it is dropped.
func (s *Service) posted(ctx context.Context, key bot.Key) (*Record, error) {
	r, err := s.record(ctx, key)
	switch {
	case err != nil:
		return nil, err
	case r == nil:
		return nil, outbox.Permanent(errors.New("no handoff (closed, expired or erased)"))
	case r.TS == "":
		return nil, outbox.Later(errors.New("card not posted yet"), 2*time.Second)
	}
	return r, nil
}

func (s *Service) deliverUpdate(ctx context.Context, slack Slack, m outbox.Message) error {
	p, err := openPayload[card](s.seal, m)
	if err != nil {
		return err
	}
	r, err := s.posted(ctx, p.Key)
	if err != nil {
		return err
	}
	fallback, blocks := CardBlocks(r, s.Names)
	return slack.Update(ctx, r.Channel, r.TS, fallback, blocks)
}
