package fieldreport

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestSealer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == KeyEnv {
				return v
			}
			return ""
		}
	}
	s, err := SealerFromEnv(env(base64.StdEncoding.EncodeToString(key)))
	if err != nil || s == nil {
		t.Fatalf("SealerFromEnv = %v, %v", s, err)
	}
	const contact = "+236 70 00 00 00 (synthetic)"
	a, err := s.Seal(contact)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Seal(contact)
	if a == b || strings.Contains(a, "236") || !strings.HasPrefix(a, "v1:") {
		t.Errorf("Seal = %q, %q: want distinct ciphertexts hiding the contact", a, b)
	}
	if got, err := s.Open(a); err != nil || got != contact {
		t.Errorf("Open = %q, %v", got, err)
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(a); err == nil {
		t.Error("Open with another key succeeded")
	}
	tampered := a[:len(a)-4] + "AAA="
	if _, err := s.Open(tampered); err == nil {
		t.Error("Open of a tampered value succeeded")
	}
	var none *Sealer
	if _, err := none.Seal(contact); !errors.Is(err, ErrNoKey) {
		t.Errorf("nil Sealer: err = %v, want ErrNoKey", err)
	}
	if s, err := SealerFromEnv(env("")); s != nil || err != nil {
		t.Errorf("unset key: %v, %v", s, err)
	}
	for _, bad := range []string{"not base64!", base64.StdEncoding.EncodeToString(key[:16])} {
		if _, err := SealerFromEnv(env(bad)); err == nil || !strings.Contains(err.Error(), KeyEnv) {
			t.Errorf("SealerFromEnv(%q) err = %v, want one naming %s", bad, err, KeyEnv)
		}
	}
}
