package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length limits, in characters (runes). The minimum follows
// NIST SP 800-63B for passwords chosen without composition rules; the
// maximum only bounds the work of hashing a pasted novel.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 1024
)

// ErrWeakPassword: a new password does not meet the password policy.
var ErrWeakPassword = errors.New("password too weak")

// ValidatePassword checks a new password against the policy: at least
// MinPasswordLength characters, at most MaxPasswordLength, valid UTF-8.
func ValidatePassword(password string) error {
	if !utf8.ValidString(password) {
		return fmt.Errorf("%w: not valid UTF-8", ErrWeakPassword)
	}
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLength {
		return fmt.Errorf("%w: a password needs at least %d characters; this one has %d", ErrWeakPassword, MinPasswordLength, n)
	}
	if n > MaxPasswordLength {
		return fmt.Errorf("%w: a password may have at most %d characters", ErrWeakPassword, MaxPasswordLength)
	}
	return nil
}

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes
}

// DefaultParams returns parameters for a small server with two cores:
// 64 MiB, two passes, two lanes (RFC 9106's second recommendation is
// 64 MiB, t=3, p=4; OWASP's minimum is 19 MiB, t=2, p=1).
func DefaultParams() Params { return Params{Memory: 64 * 1024, Time: 2, Threads: 2} }

// Bounds on parameters read from stored hashes, so that a forged hash in
// the database cannot make a login allocate gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 64
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
)

const (
	saltLen = 16
	keyLen  = 32
)

// PHC is a parsed argon2id hash in the PHC string format:
//
//	$argon2id$v=19$m=65536,t=2,p=2$<salt>$<key>
//
// where salt and key are base64 without padding (standard alphabet).
type PHC struct {
	Params
	Salt []byte
	Key  []byte
}

var b64 = base64.RawStdEncoding.Strict()

// decodeB64 decodes unpadded standard base64, refusing the line breaks
// that encoding/base64 would otherwise skip: a PHC string has exactly one
// spelling.
func decodeB64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	return b64.DecodeString(s)
}

// String formats h in the PHC string format.
func (h PHC) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.Memory, h.Time, h.Threads, b64.EncodeToString(h.Salt), b64.EncodeToString(h.Key))
}

// ParsePHC parses an argon2id hash in the PHC string format. It accepts
// only what String produces: version 19, parameters in the order m, t, p
// without leading zeros, and bounded costs and lengths.
func ParsePHC(s string) (PHC, error) {
	var h PHC
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return h, errors.New("parse password hash: not a PHC string ($argon2id$v=19$m=..,t=..,p=..$salt$key)")
	}
	if parts[1] != "argon2id" {
		return h, fmt.Errorf("parse password hash: algorithm %q, want argon2id", parts[1])
	}
	if parts[2] != "v=19" {
		return h, fmt.Errorf("parse password hash: version %q, want v=19", parts[2])
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return h, fmt.Errorf("parse password hash: parameters %q, want m=..,t=..,p=..", parts[3])
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(params[i], name+"=")
		if !ok {
			return h, fmt.Errorf("parse password hash: parameter %q, want %s=", params[i], name)
		}
		n, err := parseDecimal(v)
		if err != nil {
			return h, fmt.Errorf("parse password hash: parameter %s: %w", name, err)
		}
		vals[i] = n
	}
	switch m, t, p := vals[0], vals[1], vals[2]; {
	case p < 1 || p > 255:
		return h, fmt.Errorf("parse password hash: p=%d out of range 1..255", p)
	case m < 8*p || m > maxMemory:
		return h, fmt.Errorf("parse password hash: m=%d out of range %d..%d", m, 8*p, maxMemory)
	case t < 1 || t > maxTime:
		return h, fmt.Errorf("parse password hash: t=%d out of range 1..%d", t, maxTime)
	}
	h.Params = Params{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}
	var err error
	if h.Salt, err = decodeB64(parts[4]); err != nil {
		return h, fmt.Errorf("parse password hash: salt: %w", err)
	}
	if len(h.Salt) < minSaltLen || len(h.Salt) > maxSaltLen {
		return h, fmt.Errorf("parse password hash: salt of %d bytes, want %d..%d", len(h.Salt), minSaltLen, maxSaltLen)
	}
	if h.Key, err = decodeB64(parts[5]); err != nil {
		return h, fmt.Errorf("parse password hash: key: %w", err)
	}
	if len(h.Key) < minKeyLen || len(h.Key) > maxKeyLen {
		return h, fmt.Errorf("parse password hash: key of %d bytes, want %d..%d", len(h.Key), minKeyLen, maxKeyLen)
	}
	return h, nil
}

// parseDecimal parses a canonical unsigned decimal: digits only, no
// leading zero.
func parseDecimal(s string) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a canonical number", s)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	return n, nil
}

// HashPassword hashes password with argon2id, a random salt and the given
// parameters, and returns the PHC string. It does not check the password
// policy; see ValidatePassword.
func HashPassword(password string, p Params) (string, error) {
	if p.Threads < 1 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory || p.Time < 1 || p.Time > maxTime {
		return "", fmt.Errorf("hash password: bad argon2id parameters %+v", p)
	}
	salt := make([]byte, saltLen)
	rand.Read(salt) // never fails: crypto/rand panics rather than return short
	h := PHC{Params: p, Salt: salt, Key: argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)}
	return h.String(), nil
}

// CheckPassword reports whether password matches the PHC hash, comparing
// in constant time. An unparseable hash is an error, not a mismatch.
func CheckPassword(hash, password string) (bool, error) {
	h, err := ParsePHC(hash)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.Salt, h.Time, h.Memory, h.Threads, uint32(len(h.Key)))
	return subtle.ConstantTimeCompare(key, h.Key) == 1, nil
}

// needsRehash reports whether a stored hash was made with other
// parameters than p, so that a successful login should store a new one.
func needsRehash(hash string, p Params) bool {
	h, err := ParsePHC(hash)
	return err != nil || h.Params != p || len(h.Key) != keyLen || len(h.Salt) != saltLen
}
