package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	mail "github.com/wneessen/go-mail"

	"threshold/internal/alert"
)

// TLSPolicy says whether email goes to the SMTP server over TLS
// (STARTTLS).
type TLSPolicy string

// The TLS policies.
const (
	TLSMandatory     TLSPolicy = "mandatory"     // STARTTLS or fail (the default)
	TLSOpportunistic TLSPolicy = "opportunistic" // STARTTLS if the server offers it
	TLSNone          TLSPolicy = "none"          // plain text: only for a server on loopback
)

// ParseTLSPolicy parses a TLS policy name; "" is TLSMandatory.
func ParseTLSPolicy(s string) (TLSPolicy, error) {
	switch p := TLSPolicy(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return TLSMandatory, nil
	case TLSMandatory, TLSOpportunistic, TLSNone:
		return p, nil
	}
	return "", fmt.Errorf("unknown SMTP TLS policy %q (want mandatory, opportunistic or none)", s)
}

// SMTPConfig is the mail server alerts are sent through.
type SMTPConfig struct {
	Host     string
	Port     int    // default 587
	From     string // the sender address, e.g. "Threshold <alerts@example.org>"
	Username string // "" sends without authentication
	Password string
	TLS      TLSPolicy     // "" is TLSMandatory
	Timeout  time.Duration // per connection and command; default 30 s
}

// SMTPConfigFromEnv reads an SMTPConfig from THRESHOLD_SMTP_HOST, _PORT,
// _FROM, _USERNAME, _PASSWORD and _TLS (mandatory, opportunistic or none)
// through lookup (os.LookupEnv, say). An unset host is an empty config:
// no email.
func SMTPConfigFromEnv(lookup func(string) (string, bool)) (SMTPConfig, error) {
	get := func(k string) string { v, _ := lookup("THRESHOLD_SMTP_" + k); return strings.TrimSpace(v) }
	c := SMTPConfig{Host: get("HOST"), From: get("FROM"), Username: get("USERNAME"), Password: get("PASSWORD")}
	if c.Host == "" {
		return SMTPConfig{}, nil
	}
	if p := get("PORT"); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port <= 0 || port > 65535 {
			return SMTPConfig{}, fmt.Errorf("THRESHOLD_SMTP_PORT %q is not a port number", p)
		}
		c.Port = port
	}
	tls, err := ParseTLSPolicy(get("TLS"))
	if err != nil {
		return SMTPConfig{}, fmt.Errorf("THRESHOLD_SMTP_TLS: %w", err)
	}
	c.TLS = tls
	if c.From == "" {
		return SMTPConfig{}, errors.New("THRESHOLD_SMTP_FROM is not set: emails need a sender address")
	}
	return c, nil
}

// sendEmail makes one attempt to deliver a to its mailbox.
func (n *Notifier) sendEmail(ctx context.Context, a deliveryArgs) attemptResult {
	c := n.cfg.SMTP
	if c.Host == "" {
		return permanent(errors.New("no SMTP server configured"))
	}
	msg, err := emailMessage(c.From, a)
	if err != nil {
		return permanent(err)
	}
	return n.sendSMTP(ctx, msg)
}

// sendSMTP makes one attempt to send msg through the configured SMTP
// server: SMTP 5xx replies are permanent failures (no such mailbox,
// refused); 4xx, network errors and timeouts are worth another try.
func (n *Notifier) sendSMTP(ctx context.Context, msg *mail.Msg) attemptResult {
	c := n.cfg.SMTP
	tls, err := ParseTLSPolicy(string(c.TLS))
	if err != nil {
		return permanent(err)
	}
	opts := []mail.Option{
		mail.WithPort(cmpOr(c.Port, 587)),
		mail.WithTimeout(cmpOr(c.Timeout, DefaultSMTPTimeout)),
		mail.WithTLSPortPolicy(map[TLSPolicy]mail.TLSPolicy{
			TLSMandatory: mail.TLSMandatory, TLSOpportunistic: mail.TLSOpportunistic, TLSNone: mail.NoTLS}[tls]),
	}
	if c.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	}
	client, err := mail.NewClient(c.Host, opts...)
	if err != nil {
		return permanent(fmt.Errorf("smtp client: %w", err))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
			return permanent(fmt.Errorf("smtp: %w", err))
		}
		return attemptResult{err: fmt.Errorf("smtp %s:%d: %w", c.Host, cmpOr(c.Port, 587), err)}
	}
	return attemptResult{}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// emailMessage builds the email for a: plain text with an HTML
// alternative, the delivery id as its Message-ID and in
// X-Threshold-Delivery.
func emailMessage(from string, a deliveryArgs) (*mail.Msg, error) {
	m := mail.NewMsg()
	if err := m.From(from); err != nil {
		return nil, fmt.Errorf("email sender %q: %w", from, err)
	}
	if err := m.To(a.Target); err != nil {
		return nil, fmt.Errorf("email address %q: %w", a.Target, err)
	}
	m.Subject(Subject(a.Message))
	m.SetMessageIDWithValue(a.ID + "@threshold")
	m.SetGenHeader(mail.Header(HeaderDelivery), a.ID)
	view := emailView{Message: a.Message, Place: place(a.Message), Window: windowText(a.Message.Window),
		SeverityUpper: strings.ToUpper(string(a.Message.Severity))}
	var text, html bytes.Buffer
	if err := textEmail.Execute(&text, view); err != nil {
		return nil, fmt.Errorf("email text: %w", err)
	}
	if err := htmlEmail.Execute(&html, view); err != nil {
		return nil, fmt.Errorf("email html: %w", err)
	}
	m.SetBodyString(mail.TypeTextPlain, text.String())
	m.AddAlternativeString(mail.TypeTextHTML, html.String())
	return m, nil
}

// Subject is an alert email's subject: "[CRITICAL] " and the title.
func Subject(m alert.Message) string {
	return "[" + strings.ToUpper(string(m.Severity)) + "] " + m.Title
}

type emailView struct {
	alert.Message
	Place, Window, SeverityUpper string
}

func place(m alert.Message) string {
	if m.Admin1 == "" {
		return m.Country
	}
	return m.Admin1 + ", " + m.Country
}

func windowText(w alert.Window) string {
	const day = "2 January 2006"
	switch {
	case w.Start.IsZero() && w.End.IsZero():
		return ""
	case w.Start.Equal(w.End) || w.Start.IsZero():
		return w.End.UTC().Format(day)
	}
	return w.Start.UTC().Format(day) + " to " + w.End.UTC().Format(day)
}

var textEmail = texttemplate.Must(texttemplate.New("text").Parse(`{{.SeverityUpper}}: {{.Title}}

Place:    {{.Place}}
Severity: {{.Severity}}
{{- if .Window}}
Window:   {{.Window}}{{end}}
Rule:     {{.Rule}}

{{.Explanation}}
{{if .URL}}
Open the alert: {{.URL}}
{{end}}
-- 
Threshold early warning. Alert {{.AlertID}} ({{.Event}}).
`))

var htmlEmail = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html><body style="font-family: sans-serif">
<p><strong>{{.SeverityUpper}}</strong>: {{.Title}}</p>
<table>
<tr><th align="left">Place</th><td>{{.Place}}</td></tr>
<tr><th align="left">Severity</th><td>{{.Severity}}</td></tr>
{{- if .Window}}
<tr><th align="left">Window</th><td>{{.Window}}</td></tr>{{end}}
<tr><th align="left">Rule</th><td>{{.Rule}}</td></tr>
</table>
<p>{{.Explanation}}</p>
{{- if .URL}}
<p><a href="{{.URL}}">Open the alert</a></p>{{end}}
<p style="color: #666">Threshold early warning. Alert {{.AlertID}} ({{.Event}}).</p>
</body></html>
`))
