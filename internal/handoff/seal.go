package handoff

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"helpline/internal/store/outbox"
)

// Nothing a texter or staff member wrote, and no number, rests in Redis in
// plain form: numbers, the texts queued for a thread or for the texter, and
// every payload waiting in the outbox are sealed with AES-256-GCM under a
// key derived from HELPLINE_SECRET; outbox message IDs (and the done
// markers named by them) are keyed hashes that name no conversation and no
// kind of danger.

// sealer encrypts with AES-256-GCM, binding each ciphertext to what it
// belongs to (a conversation key, an outbox kind) so it cannot be moved to
// another; and names outbox messages by a keyed hash.
type sealer struct {
	aead cipher.AEAD
	ids  []byte // the key of message IDs
}

func newSealer(secret []byte) (*sealer, error) {
	if len(secret) == 0 {
		return nil, errors.New("handoff: HELPLINE_SECRET is required to keep numbers for relays")
	}
	k := sha256.Sum256(append([]byte("helpline number encryption v1\x00"), secret...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	ids := sha256.Sum256(append([]byte("helpline outbox ids v1\x00"), secret...))
	return &sealer{aead: aead, ids: ids[:]}, nil
}

// id names an outbox message by what it is ("card", a conversation key, a
// message ID): the same parts give the same ID, so a message enqueued twice
// is delivered once, and the ID tells nothing of them.
func (s *sealer) id(what string) string {
	m := hmac.New(sha256.New, s.ids)
	m.Write([]byte(what))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// sealPayload turns v into an outbox payload sealed for kind: a JSON
// string of the ciphertext.
func (s *sealer) sealPayload(kind string, v any) (json.RawMessage, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	sealed, err := s.seal(string(plain), "outbox:"+kind)
	if err != nil {
		return nil, err
	}
	return json.Marshal(sealed)
}

// openPayload decodes a message's payload: sealed, or in plain JSON as
// payloads were before they were sealed. One that cannot be read never
// will be.
func openPayload[T any](s *sealer, m outbox.Message) (T, error) {
	var p T
	raw := []byte(m.Payload)
	if len(raw) > 0 && raw[0] == '"' {
		var sealed string
		if err := json.Unmarshal(raw, &sealed); err != nil {
			return p, outbox.Permanent(err)
		}
		plain, err := s.open(sealed, "outbox:"+m.Kind)
		if err != nil {
			return p, outbox.Permanent(err)
		}
		raw = []byte(plain)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, outbox.Permanent(err)
	}
	return p, nil
}

func (s *sealer) seal(plain, bind string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(plain), []byte(bind))
	return base64.RawStdEncoding.EncodeToString(out), nil
}

func (s *sealer) open(sealed, bind string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", errors.New("handoff: sealed text is malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(bind))
	if err != nil {
		return "", fmt.Errorf("handoff: open sealed text: %w", err)
	}
	return string(plain), nil
}

// Mask shows only the last four digits of a number: "***-***-0123".
func Mask(number string) string {
	digits := make([]byte, 0, len(number))
	for i := 0; i < len(number); i++ {
		if number[i] >= '0' && number[i] <= '9' {
			digits = append(digits, number[i])
		}
	}
	if len(digits) < 4 {
		return "***"
	}
	return "***-***-" + string(digits[len(digits)-4:])
}
