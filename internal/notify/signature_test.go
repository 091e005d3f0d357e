package notify_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"threshold/internal/notify"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"delivery_id":"d1","alert_id":7}`)
	now := time.Unix(1_700_000_000, 0)
	good := notify.Sign(secret, now.Unix(), body)
	other := notify.Sign([]byte("old-secret"), now.Unix(), body)
	headers := func(ts, sig string) http.Header {
		h := http.Header{}
		if ts != "" {
			h.Set(notify.HeaderTimestamp, ts)
		}
		if sig != "" {
			h.Set(notify.HeaderSignature, sig)
		}
		return h
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		name    string
		h       http.Header
		body    []byte
		now     time.Time
		wantErr error // nil: valid
	}{
		{"valid", headers(ts, good), body, now, nil},
		{"valid, upper-case hex", headers(ts, "sha256="+strings.ToUpper(good[7:])), body, now, nil},
		{"valid among rotated secrets", headers(ts, other+", "+good), body, now, nil},
		{"valid within tolerance", headers(ts, good), body, now.Add(299 * time.Second), nil},
		{"receiver clock behind", headers(ts, good), body, now.Add(-299 * time.Second), nil},
		{"stale", headers(ts, good), body, now.Add(301 * time.Second), notify.ErrStale},
		{"from the future", headers(ts, good), body, now.Add(-301 * time.Second), notify.ErrStale},
		{"body changed", headers(ts, good), []byte(`{"delivery_id":"d1","alert_id":8}`), now, notify.ErrBadSignature},
		{"timestamp changed", headers(strconv.FormatInt(now.Unix()+1, 10), good), body, now, notify.ErrBadSignature},
		{"wrong secret", headers(ts, other), body, now, notify.ErrBadSignature},
		{"no timestamp", headers("", good), body, now, notify.ErrNoSignature},
		{"no signature", headers(ts, ""), body, now, notify.ErrNoSignature},
		{"malformed timestamp", headers("17e8", good), body, now, notify.ErrBadSignature},
		{"negative timestamp", headers("-5", good), body, now, notify.ErrBadSignature},
		{"other algorithm", headers(ts, "sha1="+good[7:47]), body, now, notify.ErrBadSignature},
		{"short digest", headers(ts, good[:20]), body, now, notify.ErrBadSignature},
		{"not hex", headers(ts, "sha256="+strings.Repeat("zz", 32)), body, now, notify.ErrBadSignature},
		{"bare digest", headers(ts, good[7:]), body, now, notify.ErrBadSignature},
	}
	for _, tt := range tests {
		err := notify.Verify(secret, tt.h, tt.body, tt.now, 5*time.Minute)
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("%s: Verify = %v, want nil", tt.name, err)
		case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}

// TestSignKnownAnswer pins the scheme against a digest computed
// independently: printf '1700000000.{}' | openssl dgst -sha256 -hmac key.
func TestSignKnownAnswer(t *testing.T) {
	got := notify.Sign([]byte("key"), 1700000000, []byte("{}"))
	const want = "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func FuzzVerify(f *testing.F) {
	secret := []byte("s3cret")
	body := []byte(`{"alert_id":1}`)
	now := time.Unix(1_700_000_000, 0)
	f.Add("1700000000", notify.Sign(secret, now.Unix(), body))
	f.Add("1700000000", "sha256=00, sha256=11")
	f.Add("", "")
	f.Add("-1", "sha256=")
	f.Add("99999999999999999999", ",,,")
	f.Fuzz(func(t *testing.T, ts, sig string) {
		h := http.Header{}
		h.Set(notify.HeaderTimestamp, ts)
		h.Set(notify.HeaderSignature, sig)
		err := notify.Verify(secret, h, body, now, time.Minute)
		if err == nil {
			// Accepted: then it must carry the true signature.
			want := notify.Sign(secret, now.Unix(), body)[7:]
			if !strings.Contains(strings.ToLower(sig), want) {
				t.Fatalf("Verify accepted %q / %q without the true signature", ts, sig)
			}
			return
		}
		if !errors.Is(err, notify.ErrBadSignature) && !errors.Is(err, notify.ErrNoSignature) && !errors.Is(err, notify.ErrStale) {
			t.Fatalf("Verify(%q, %q) = %v: not one of the documented errors", ts, sig, err)
		}
	})
}
