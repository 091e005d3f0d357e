package fieldreport

import (
	"errors"
	"strings"
	"testing"
)

const syntheticInbound = `{"message_id": "sms-1", "what": "synthetic: <img src=x onerror=alert(1)> shots fired",
 "country": "caf", "admin1": "Ouham", "place": "Synthetic", "latitude": 6.49, "longitude": 17.45,
 "date": "2024-03-01", "casualties": 3, "category": "battle", "confidence": "witnessed", "flash": true,
 "reporter": {"kind": "pseudonym", "pseudonym": "Kite"},
 "attachments": [{"name": "a.pdf", "data": "JVBERi0xLjQ="}]}`

func TestParseInbound(t *testing.T) {
	r, ups, err := ParseInbound("sms", []byte(syntheticInbound))
	if err != nil {
		t.Fatal(err)
	}
	if r.Channel != "gateway:sms" || r.ExternalID != "sms-1" || r.Country != "CAF" || !r.Flash || *r.Casualties != 3 ||
		r.Reporter.Pseudonym != "Kite" || len(ups) != 1 || string(ups[0].Data) != "%PDF-1.4" ||
		!strings.Contains(r.What, "<img src=x") {
		t.Errorf("ParseInbound = %+v, %v", r, ups)
	}
	tests := []struct{ name, body, want string }{
		{"unknown field", `{"message_id":"1","nope":1}`, "unknown field"},
		{"no message id", strings.Replace(syntheticInbound, `"sms-1"`, `""`, 1), "message_id"},
		{"bad date", strings.Replace(syntheticInbound, `2024-03-01`, `01/03/2024`, 1), "date"},
		{"bad category", strings.Replace(syntheticInbound, `"battle"`, `"war"`, 1), "category"},
		{"latitude alone", strings.Replace(syntheticInbound, `"longitude": 17.45,`, ``, 1), "latitude"},
		{"bad attachment", strings.Replace(syntheticInbound, `JVBERi0xLjQ=`, `!!`, 1), "attachments[0].data"},
		{"trailing data", syntheticInbound + `{}`, "after the JSON"},
		{"contact without kind", strings.Replace(syntheticInbound, `"kind": "pseudonym"`, `"kind": "phone"`, 1), "reporter.kind"},
	}
	for _, tt := range tests {
		_, _, err := ParseInbound("sms", []byte(tt.body))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want ErrInvalid naming %q", tt.name, err, tt.want)
		}
	}
}

func TestGatewayFromEnv(t *testing.T) {
	env := map[string]string{"THRESHOLD_GATEWAY_SMS_EU_SECRET": "synthetic-secret-0123456789", "THRESHOLD_GATEWAY_SMS_EU_ORG": "4",
		"THRESHOLD_GATEWAY_SHORT_SECRET": "short"}
	g, ok := GatewayFromEnv(func(k string) string { return env[k] }, "sms-eu")
	if !ok || g.OrgID != 4 || string(g.Secret) != env["THRESHOLD_GATEWAY_SMS_EU_SECRET"] {
		t.Errorf("GatewayFromEnv(sms-eu) = %+v, %v", g, ok)
	}
	for _, name := range []string{"short", "unknown", "../x", "SMS_EU"} {
		if _, ok := GatewayFromEnv(func(k string) string { return env[k] }, name); ok {
			t.Errorf("GatewayFromEnv(%q) accepted", name)
		}
	}
}

func FuzzParseInbound(f *testing.F) {
	f.Add([]byte(syntheticInbound))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"message_id":"1","date":"2024-01-01","latitude":1e400}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, _, err := ParseInbound("fuzz", body)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("accepted an invalid report: %v", err)
		}
	})
}
