package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhook headers.
const (
	HeaderDelivery  = "X-Threshold-Delivery"
	HeaderTimestamp = "X-Threshold-Timestamp"
	HeaderSignature = "X-Threshold-Signature"
)

// signaturePrefix names the signature's algorithm in HeaderSignature.
const signaturePrefix = "sha256="

// Errors Verify returns; each is wrapped with detail.
var (
	ErrNoSignature  = errors.New("no signature")
	ErrBadSignature = errors.New("signature does not match")
	ErrStale        = errors.New("timestamp outside tolerance")
)

// Sign returns the X-Threshold-Signature value for a body sent at the Unix
// time ts: "sha256=" and the lower-case hex HMAC-SHA256, keyed with the
// webhook's secret, of the decimal timestamp, a full stop and the body
// exactly as sent:
//
//	sha256=hex(HMAC-SHA256(secret, "1700000000" + "." + body))
//
// The timestamp is signed so that a captured request cannot be replayed
// later (Verify's tolerance); the delivery id in the body lets receivers
// drop repeats within it.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook request's signature, for receivers: h holds the
// request's headers, body its body as received. It fails if
// X-Threshold-Timestamp is missing, malformed or further than tolerance
// from now (either way), or if no signature in X-Threshold-Signature
// (several may be given, separated by commas, while a secret is rotated)
// is the HMAC of the timestamp and body under secret. Comparisons are in
// constant time.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	tsText := strings.TrimSpace(h.Get(HeaderTimestamp))
	if tsText == "" {
		return fmt.Errorf("%w: no %s header", ErrNoSignature, HeaderTimestamp)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts < 0 || len(tsText) > 19 || tsText[0] == '+' {
		return fmt.Errorf("%w: malformed %s %q", ErrBadSignature, HeaderTimestamp, truncate(tsText, 40))
	}
	sent := time.Unix(ts, 0)
	if d := now.Sub(sent); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: sent at %s, now %s, tolerance %s", ErrStale, sent.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), tolerance)
	}
	sigs, err := parseSignatures(h.Get(HeaderSignature))
	if err != nil {
		return err
	}
	want := []byte(Sign(secret, ts, body)[len(signaturePrefix):])
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrBadSignature
}

// parseSignatures splits an X-Threshold-Signature value into its hex
// digests: one or more "sha256=<64 hex digits>" separated by commas.
// Digests are returned lower-cased.
func parseSignatures(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("%w: no %s header", ErrNoSignature, HeaderSignature)
	}
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		digest, ok := strings.CutPrefix(part, signaturePrefix)
		if !ok {
			return nil, fmt.Errorf("%w: %s entry %q is not sha256=<hex>", ErrBadSignature, HeaderSignature, truncate(part, 40))
		}
		if len(digest) != 2*sha256.Size {
			return nil, fmt.Errorf("%w: %s digest has %d characters, want %d", ErrBadSignature, HeaderSignature, len(digest), 2*sha256.Size)
		}
		digest = strings.ToLower(digest)
		if _, err := hex.DecodeString(digest); err != nil {
			return nil, fmt.Errorf("%w: %s digest is not hex", ErrBadSignature, HeaderSignature)
		}
		out = append(out, digest)
		if len(out) > 8 {
			return nil, fmt.Errorf("%w: more than 8 signatures", ErrBadSignature)
		}
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
