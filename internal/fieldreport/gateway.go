package fieldreport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"threshold/internal/event"
)

// Inbound is the JSON payload an SMS or messaging gateway posts to
// POST /api/v1/field-reports/inbound/{gateway}, signed as package notify
// signs webhooks: headers X-Threshold-Timestamp (Unix seconds) and
// X-Threshold-Signature "sha256=" + hex HMAC-SHA256(secret, timestamp +
// "." + body), with the gateway's secret. Unknown fields are refused.
//
//	{
//	  "message_id": "sms-8812",            // required, unique per gateway: a repeat is not stored twice
//	  "received_at": "2024-03-02T08:15:00Z",
//	  "what": "armed men burned the market",
//	  "country": "CAF", "admin1": "Ouham", "place": "Bossangoa",
//	  "latitude": 6.49, "longitude": 17.45,
//	  "date": "2024-03-01",
//	  "involved": "armed group, traders",
//	  "casualties": 3,
//	  "category": "violence-against-civilians",
//	  "confidence": "witnessed",
//	  "flash": false,
//	  "reporter": {"kind": "pseudonym", "pseudonym": "Kite"},
//	  "monitor_id": 4,
//	  "attachments": [{"name": "market.jpg", "data": "<base64>"}]
//	}
type Inbound struct {
	MessageID   string         `json:"message_id"`
	ReceivedAt  *time.Time     `json:"received_at,omitempty"`
	What        string         `json:"what"`
	Country     string         `json:"country"`
	Admin1      string         `json:"admin1,omitempty"`
	Place       string         `json:"place,omitempty"`
	Latitude    *float64       `json:"latitude,omitempty"`
	Longitude   *float64       `json:"longitude,omitempty"`
	Date        string         `json:"date"`
	Involved    string         `json:"involved,omitempty"`
	Casualties  *int           `json:"casualties,omitempty"`
	Category    event.Category `json:"category"`
	Confidence  Confidence     `json:"confidence"`
	Flash       bool           `json:"flash,omitempty"`
	Reporter    *Reporter      `json:"reporter,omitempty"`
	MonitorID   int64          `json:"monitor_id,omitempty"`
	Attachments []InboundFile  `json:"attachments,omitempty"`
}

// InboundFile is an attachment in a gateway payload.
type InboundFile struct {
	Name string `json:"name"`
	Data string `json:"data"` // standard base64
}

// ParseInbound decodes a gateway payload into a report (channel
// "gateway:"+gateway) and its uploads. Errors wrap ErrInvalid and name
// the field.
func ParseInbound(gateway string, body []byte) (Report, []Upload, error) {
	var in Inbound
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Report{}, nil, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Report{}, nil, fmt.Errorf("%w: payload: data after the JSON object", ErrInvalid)
	}
	if strings.TrimSpace(in.MessageID) == "" {
		return Report{}, nil, fmt.Errorf("%w: message_id: empty", ErrInvalid)
	}
	day, err := time.Parse(time.DateOnly, in.Date)
	if err != nil {
		return Report{}, nil, fmt.Errorf("%w: date: %q is not YYYY-MM-DD", ErrInvalid, in.Date)
	}
	r := Report{What: in.What, Country: strings.ToUpper(strings.TrimSpace(in.Country)), Admin1: in.Admin1,
		Place: in.Place, Latitude: in.Latitude, Longitude: in.Longitude, Date: day, Involved: in.Involved,
		Casualties: in.Casualties, Category: in.Category, Confidence: in.Confidence, Flash: in.Flash,
		Reporter: in.Reporter, Channel: "gateway:" + gateway, ExternalID: in.MessageID, MonitorID: in.MonitorID}
	if err := r.Validate(); err != nil {
		return Report{}, nil, err
	}
	ups := make([]Upload, 0, len(in.Attachments))
	for i, f := range in.Attachments {
		data, err := base64.StdEncoding.DecodeString(f.Data)
		if err != nil {
			return Report{}, nil, fmt.Errorf("%w: attachments[%d].data: not base64", ErrInvalid, i)
		}
		ups = append(ups, Upload{Name: f.Name, Data: data})
	}
	return r, ups, nil
}

// Gateway is an inbound messaging gateway Threshold accepts reports from.
type Gateway struct {
	Name   string
	Secret []byte
	OrgID  int64 // the receiving organisation; 0: admins only see identities
}

var gatewayName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// GatewayFromEnv finds a gateway's configuration through getenv:
// THRESHOLD_GATEWAY_<NAME>_SECRET (required, at least 16 bytes) and
// THRESHOLD_GATEWAY_<NAME>_ORG (optional organisation id), NAME being the
// gateway's name upper-cased with - as _. ok is false for a gateway not
// configured or a malformed name.
func GatewayFromEnv(getenv func(string) string, name string) (Gateway, bool) {
	if !gatewayName.MatchString(name) {
		return Gateway{}, false
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	env := "THRESHOLD_GATEWAY_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	secret := getenv(env + "_SECRET")
	if len(secret) < 16 {
		return Gateway{}, false
	}
	g := Gateway{Name: name, Secret: []byte(secret)}
	if org, err := strconv.ParseInt(getenv(env+"_ORG"), 10, 64); err == nil && org > 0 {
		g.OrgID = org
	}
	return g, true
}
