package handoff

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// sealer encrypts the phone numbers kept for relays with AES-256-GCM under a
// key derived from HELPLINE_SECRET, bound to the conversation key so a
// ciphertext cannot be moved to another conversation.
type sealer struct{ aead cipher.AEAD }

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
	return &sealer{aead: aead}, nil
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
		return "", errors.New("handoff: sealed number is malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(bind))
	if err != nil {
		return "", fmt.Errorf("handoff: open sealed number: %w", err)
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
