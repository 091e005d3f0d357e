package fieldreport

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeyEnv names the environment variable holding the contact-details key:
// 32 random bytes in standard base64 (openssl rand -base64 32).
const KeyEnv = "THRESHOLD_FIELD_REPORT_KEY"

// sealPrefix versions the sealed format, so a new one can be told apart.
const sealPrefix = "v1:"

// Sealer encrypts contact details with AES-256-GCM. A nil *Sealer has
// no key: it seals nothing and opens nothing.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("field report key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// SealerFromEnv reads the key from KeyEnv through getenv. An unset
// variable is a nil Sealer and no error; a malformed one is an error.
func SealerFromEnv(getenv func(string) string) (*Sealer, error) {
	v := strings.TrimSpace(getenv(KeyEnv))
	if v == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%s: not base64: %w", KeyEnv, err)
	}
	s, err := NewSealer(key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", KeyEnv, err)
	}
	return s, nil
}

// sealAAD is the additional data every sealed value is bound to, so a
// ciphertext made with the same key for another purpose does not open.
const sealAAD = "threshold field report contact v1"

// Seal encrypts plain with a fresh random nonce.
func (s *Sealer) Seal(plain string) (string, error) {
	if s == nil {
		return "", ErrNoKey
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := s.aead.Seal(nonce, nonce, []byte(plain), []byte(sealAAD))
	return sealPrefix + base64.StdEncoding.EncodeToString(ct), nil
}

// Open decrypts what Seal returned.
func (s *Sealer) Open(sealed string) (string, error) {
	if s == nil {
		return "", ErrNoKey
	}
	b64, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", errors.New("sealed contact: unknown format")
	}
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(ct) < s.aead.NonceSize() {
		return "", errors.New("sealed contact: malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, ct[:n], ct[n:], []byte(sealAAD))
	if err != nil {
		return "", errors.New("sealed contact: does not open with this key")
	}
	return string(plain), nil
}
