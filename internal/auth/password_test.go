package auth

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cheap are parameters that make tests fast; verification reads the
// parameters from the hash, so nothing else changes.
var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashPasswordRoundTrip(t *testing.T) {
	for _, p := range []Params{cheap, {Memory: 1024, Time: 2, Threads: 2}} {
		hash, err := HashPassword("correct horse battery staple", p)
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParsePHC(hash)
		if err != nil {
			t.Fatalf("ParsePHC(%q): %v", hash, err)
		}
		if h.Params != p || len(h.Salt) != saltLen || len(h.Key) != keyLen {
			t.Errorf("ParsePHC(%q) = %+v, want params %+v, %d-byte salt, %d-byte key", hash, h, p, saltLen, keyLen)
		}
		if h.String() != hash {
			t.Errorf("String() = %q, want %q", h.String(), hash)
		}
		for _, tt := range []struct {
			password string
			want     bool
		}{
			{"correct horse battery staple", true},
			{"correct horse battery stapl", false},
			{"Correct horse battery staple", false},
			{"", false},
		} {
			got, err := CheckPassword(hash, tt.password)
			if err != nil || got != tt.want {
				t.Errorf("CheckPassword(%q, %q) = %v, %v; want %v", hash, tt.password, got, err, tt.want)
			}
		}
	}
}

func TestHashPasswordSaltsDiffer(t *testing.T) {
	a, _ := HashPassword("correct horse battery staple", cheap)
	b, _ := HashPassword("correct horse battery staple", cheap)
	if a == b {
		t.Errorf("two hashes of one password are equal: %q", a)
	}
}

// TestCheckPasswordReferenceVector checks a vector of the argon2
// reference implementation (password "password", salt "somesalt", t=4,
// m=4096 KiB, p=4, 24-byte key; golang.org/x/crypto/argon2's tests carry
// it in hex), in PHC form, so that hashes stay portable.
func TestCheckPasswordReferenceVector(t *testing.T) {
	const hash = "$argon2id$v=19$m=4096,t=4,p=4$c29tZXNhbHQ$FF25czqfTuQ+3zPFCb6WuTTVBaTvszxa"
	ok, err := CheckPassword(hash, "password")
	if err != nil || !ok {
		t.Errorf("CheckPassword(reference, \"password\") = %v, %v; want true", ok, err)
	}
}

func TestParsePHCErrors(t *testing.T) {
	const salt, key = "c29tZXNhbHQ", "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	tests := []struct {
		hash, inErr string
	}{
		{"", "not a PHC string"},
		{"plaintext", "not a PHC string"},
		{"$argon2i$v=19$m=65536,t=2,p=4$" + salt + "$" + key, `algorithm "argon2i"`},
		{"$2a$10$abcdefghijklmnopqrstuu", "not a PHC string"},
		{"$argon2id$v=16$m=65536,t=2,p=4$" + salt + "$" + key, `version "v=16"`},
		{"$argon2id$m=65536,t=2,p=4$" + salt + "$" + key, "not a PHC string"},
		{"$argon2id$v=19$t=2,m=65536,p=4$" + salt + "$" + key, "want m="},
		{"$argon2id$v=19$m=65536,t=2$" + salt + "$" + key, "want m=..,t=..,p=.."},
		{"$argon2id$v=19$m=065536,t=2,p=4$" + salt + "$" + key, "not a canonical number"},
		{"$argon2id$v=19$m=+65536,t=2,p=4$" + salt + "$" + key, "not a canonical number"},
		{"$argon2id$v=19$m=,t=2,p=4$" + salt + "$" + key, "not a canonical number"},
		{"$argon2id$v=19$m=99999999999,t=2,p=4$" + salt + "$" + key, "out of range"},
		{"$argon2id$v=19$m=4194304,t=2,p=4$" + salt + "$" + key, "m=4194304 out of range"},
		{"$argon2id$v=19$m=16,t=2,p=4$" + salt + "$" + key, "m=16 out of range"},
		{"$argon2id$v=19$m=65536,t=0,p=4$" + salt + "$" + key, "t=0 out of range"},
		{"$argon2id$v=19$m=65536,t=1000,p=4$" + salt + "$" + key, "t=1000 out of range"},
		{"$argon2id$v=19$m=65536,t=2,p=0$" + salt + "$" + key, "p=0 out of range"},
		{"$argon2id$v=19$m=65536,t=2,p=256$" + salt + "$" + key, "p=256 out of range"},
		{"$argon2id$v=19$m=65536,t=2,p=4$" + salt + "=$" + key, "salt"},
		{"$argon2id$v=19$m=65536,t=2,p=4$c29tZQ$" + key, "salt of 4 bytes"},
		{"$argon2id$v=19$m=65536,t=2,p=4$" + salt + "$" + key[:12], "key of 9 bytes"},
		{"$argon2id$v=19$m=65536,t=2,p=4$" + salt + "$" + key + "$", "not a PHC string"},
		{"$argon2id$v=19$m=65536,t=2,p=4$" + salt + "$" + strings.ReplaceAll(key, "C", "-"), "key"},
	}
	for _, tt := range tests {
		_, err := ParsePHC(tt.hash)
		if err == nil || !strings.Contains(err.Error(), tt.inErr) {
			t.Errorf("ParsePHC(%q) = %v, want an error containing %q", tt.hash, err, tt.inErr)
		}
		if ok, err := CheckPassword(tt.hash, "password"); ok || err == nil {
			t.Errorf("CheckPassword(%q) = %v, %v; want an error", tt.hash, ok, err)
		}
	}
}

func TestHashPasswordRefusesBadParams(t *testing.T) {
	for _, p := range []Params{{}, {Memory: 7, Time: 1, Threads: 1}, {Memory: 64, Time: 0, Threads: 1}, {Memory: 1 << 21, Time: 1, Threads: 1}} {
		if _, err := HashPassword("correct horse battery", p); err == nil {
			t.Errorf("HashPassword with %+v succeeded", p)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		password string
		inErr    string // "" for valid
	}{
		{"", "at least 12 characters; this one has 0"},
		{"elevenchars", "at least 12 characters; this one has 11"},
		{"twelve chars", ""},
		{"ééééééééééé", "this one has 11"}, // characters, not bytes
		{"éééééééééééé", ""},
		{strings.Repeat("a", MaxPasswordLength), ""},
		{strings.Repeat("a", MaxPasswordLength+1), "at most"},
		{"twelve chars\xff", "UTF-8"},
	}
	for _, tt := range tests {
		err := ValidatePassword(tt.password)
		switch {
		case tt.inErr == "" && err != nil:
			t.Errorf("ValidatePassword(%q) = %v, want nil", tt.password, err)
		case tt.inErr != "" && (err == nil || !strings.Contains(err.Error(), tt.inErr) || !errors.Is(err, ErrWeakPassword)):
			t.Errorf("ValidatePassword(%q) = %v, want ErrWeakPassword containing %q", tt.password, err, tt.inErr)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	hash, _ := HashPassword("correct horse battery", cheap)
	if needsRehash(hash, cheap) {
		t.Errorf("needsRehash(%q, same params) = true", hash)
	}
	if !needsRehash(hash, DefaultParams()) {
		t.Errorf("needsRehash(%q, other params) = false", hash)
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ama@Example.ORG", "ama@example.org"},
		{"  desk@un.org ", "desk@un.org"},
		{"Ama <ama@example.org>", ""},
		{"not an email", ""},
		{"", ""},
		{"a@b@c", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeEmail(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" || err != nil {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=065536,t=2,p=4$$")
	f.Add("$$$$$")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParsePHC(s)
		if err != nil {
			return
		}
		// Only canonical strings parse: formatting gives the input back.
		if got := h.String(); got != s {
			t.Errorf("ParsePHC(%q).String() = %q", s, got)
		}
		if h.Memory > maxMemory || h.Time > maxTime || h.Threads < 1 || h.Memory < 8*uint32(h.Threads) {
			t.Errorf("ParsePHC(%q) accepted params %+v", s, h.Params)
		}
	})
}
