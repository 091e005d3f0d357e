package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"threshold/internal/alert"
	"threshold/internal/notify"
	"threshold/internal/store"
	"threshold/internal/storetest"
	"threshold/internal/testenv"
)

// mailpitVersion is the Mailpit release the email tests run (the version
// listed for the project's dependencies).
const mailpitVersion = "v1.33.1"

// mailpit builds Mailpit (a real SMTP server with an HTTP API) with the Go
// toolchain, outside this module so that its dependencies stay out of
// go.mod, and runs it on loopback ports until the test ends. It returns
// the SMTP port and the API's base URL. The build is cached by Go's build
// cache after the first run.
func mailpit(t *testing.T) (smtpPort int, api string) {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			testenv.Unavailable(t, "no go command to build Mailpit with")
		}
	}
	dir := t.TempDir()
	install := exec.Command(goBin, "install", "github.com/axllent/mailpit@"+mailpitVersion)
	install.Dir = dir
	install.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := install.CombinedOutput(); err != nil {
		testenv.Unavailable(t, fmt.Sprintf("build Mailpit %s: %v\n%s", mailpitVersion, err, out))
	}
	smtpPort, httpPort := freePort(t), freePort(t)
	cmd := exec.Command(filepath.Join(dir, "mailpit"),
		"--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--quiet", "--disable-version-check",
		"--smtp-allowed-recipients", `@un\.org$`)
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Mailpit: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	api = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Mailpit not ready on %s: %v", api, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return smtpPort, api
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// mailpitMessage is what the tests read of Mailpit's API.
type mailpitMessage struct {
	ID        string
	MessageID string
	Subject   string
	To        []struct{ Address string }
	Text      string
	HTML      string
}

func mailpitMessages(t *testing.T, api string) []mailpitMessage {
	t.Helper()
	var list struct{ Messages []mailpitMessage }
	getJSON(t, api+"/api/v1/messages", &list)
	out := []mailpitMessage{}
	for _, m := range list.Messages {
		var full mailpitMessage
		getJSON(t, api+"/api/v1/message/"+m.ID, &full)
		out = append(out, full)
	}
	return out
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func TestEmail(t *testing.T) {
	smtpPort, api := mailpit(t)
	storetest.ForEach(t, func(t *testing.T, db *store.DB, _ string) {
		ctx := context.Background()
		before := len(mailpitMessages(t, api))
		cfg := testConfig()
		cfg.SMTP = notify.SMTPConfig{Host: "127.0.0.1", Port: smtpPort, From: "Threshold <alerts@threshold.example.org>", TLS: notify.TLSNone}
		n := started(t, db, cfg)

		msg := message(41)
		desk := alert.Notification{Receiver: alert.Receiver{Name: "central-africa-desk", Emails: []string{"car-desk@un.org", "nobody@example.com"}}, Message: msg}
		if err := n.Enqueue(ctx, []alert.Notification{desk, desk}); err != nil {
			t.Fatal(err)
		}
		log := waitLog(t, n, 41, func(log []store.Delivery) bool {
			done := 0
			for _, d := range log {
				if d.Status == store.DeliveryDelivered || d.Status == store.DeliveryFailed {
					done++
				}
			}
			return done == 2
		})
		byTarget := map[string][]string{}
		for _, d := range log {
			s := d.Status
			if d.Error != "" {
				s += ": " + d.Error
			}
			byTarget[d.Target] = append(byTarget[d.Target], s)
		}
		if got := byTarget["car-desk@un.org"]; !slices.Equal(got, []string{"queued", "delivered"}) {
			t.Errorf("car-desk@un.org log = %q, want queued, delivered", got)
		}
		// Mailpit refuses recipients outside un.org with 550: permanent.
		if got := byTarget["nobody@example.com"]; len(got) != 2 || got[0] != "queued" || !strings.HasPrefix(got[1], "failed: ") || !strings.Contains(got[1], "550") {
			t.Errorf("nobody@example.com log = %q, want queued, failed with 550", got)
		}

		msgs := mailpitMessages(t, api)
		if len(msgs) != before+1 {
			t.Fatalf("Mailpit has %d new messages, want 1", len(msgs)-before)
		}
		m := msgs[0] // newest first
		id := notify.DeliveryID(41, "firing", "central-africa-desk", "email", "car-desk@un.org")
		if m.Subject != "[CRITICAL] Fatalities surge in Ouham (CAF)" || m.MessageID != id+"@threshold" ||
			len(m.To) != 1 || m.To[0].Address != "car-desk@un.org" {
			t.Errorf("message subject %q, Message-ID %q, to %v", m.Subject, m.MessageID, m.To)
		}
		for _, want := range []string{"Ouham, CAF", "critical", "1 December 2013 to 28 December 2013",
			"fatalities in Ouham in the last 4 weeks: 212, 9x the 2-year weekly median", msg.URL} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("text body lacks %q:\n%s", want, m.Text)
			}
			if !strings.Contains(m.HTML, want) {
				t.Errorf("HTML body lacks %q:\n%s", want, m.HTML)
			}
		}
		if !strings.Contains(m.HTML, `<a href="`+msg.URL+`">`) {
			t.Errorf("HTML body has no link to %s:\n%s", msg.URL, m.HTML)
		}

		// TLS mandatory against a server without STARTTLS: never sent in
		// clear; retried, then failed. (One Notifier at a time: both
		// would work the same queue.)
		if err := n.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		strict := cfg
		strict.SMTP.TLS = notify.TLSMandatory // Mailpit here offers no STARTTLS
		nStrict := started(t, db, strict)
		strictMsg := alert.Notification{Receiver: alert.Receiver{Name: "sahel-desk", Emails: []string{"sahel@un.org"}}, Message: message(42)}
		if err := nStrict.Enqueue(ctx, []alert.Notification{strictMsg}); err != nil {
			t.Fatal(err)
		}
		log = waitLog(t, nStrict, 42, finished)
		if got := statuses(log); !slices.Equal(got, []string{"queued", "retrying", "retrying", "failed"}) {
			t.Errorf("mandatory TLS log = %q, want queued, retrying, retrying, failed", got)
		}
		if msgs := mailpitMessages(t, api); len(msgs) != before+1 {
			t.Errorf("Mailpit has %d new messages after the TLS-mandatory delivery, want still 1", len(msgs)-before)
		}
	})
}

func TestSMTPConfigFromEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    notify.SMTPConfig
		wantErr string
	}{
		{env: map[string]string{}, want: notify.SMTPConfig{}},
		{env: map[string]string{"THRESHOLD_SMTP_HOST": "smtp.un.org", "THRESHOLD_SMTP_PORT": "2525", "THRESHOLD_SMTP_FROM": "alerts@un.org",
			"THRESHOLD_SMTP_USERNAME": "u", "THRESHOLD_SMTP_PASSWORD": "p", "THRESHOLD_SMTP_TLS": "Opportunistic"},
			want: notify.SMTPConfig{Host: "smtp.un.org", Port: 2525, From: "alerts@un.org", Username: "u", Password: "p", TLS: notify.TLSOpportunistic}},
		{env: map[string]string{"THRESHOLD_SMTP_HOST": "smtp.un.org", "THRESHOLD_SMTP_FROM": "alerts@un.org"},
			want: notify.SMTPConfig{Host: "smtp.un.org", From: "alerts@un.org", TLS: notify.TLSMandatory}},
		{env: map[string]string{"THRESHOLD_SMTP_HOST": "smtp.un.org"}, wantErr: "THRESHOLD_SMTP_FROM"},
		{env: map[string]string{"THRESHOLD_SMTP_HOST": "smtp.un.org", "THRESHOLD_SMTP_FROM": "a@un.org", "THRESHOLD_SMTP_PORT": "smtp"}, wantErr: "THRESHOLD_SMTP_PORT"},
		{env: map[string]string{"THRESHOLD_SMTP_HOST": "smtp.un.org", "THRESHOLD_SMTP_FROM": "a@un.org", "THRESHOLD_SMTP_TLS": "ssl3"}, wantErr: "THRESHOLD_SMTP_TLS"},
	}
	for _, tt := range tests {
		got, err := notify.SMTPConfigFromEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("SMTPConfigFromEnv(%v) error = %v, want one naming %s", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("SMTPConfigFromEnv(%v) = %+v, %v; want %+v", tt.env, got, err, tt.want)
		}
	}
}

func FuzzSMTPConfigFromEnv(f *testing.F) {
	f.Add("smtp.un.org", "587", "alerts@un.org", "mandatory")
	f.Add("smtp.un.org", "0", "", "ssl")
	f.Add("", "99999", "x", "")
	f.Add(" h ", "+25", "a@b", " NONE ")
	f.Fuzz(func(t *testing.T, host, port, from, tls string) {
		env := map[string]string{"THRESHOLD_SMTP_HOST": host, "THRESHOLD_SMTP_PORT": port, "THRESHOLD_SMTP_FROM": from, "THRESHOLD_SMTP_TLS": tls}
		c, err := notify.SMTPConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if err != nil {
			return
		}
		if c.Host == "" {
			if c != (notify.SMTPConfig{}) {
				t.Fatalf("no host but config %+v", c)
			}
			return
		}
		if c.From == "" || c.Port < 0 || c.Port > 65535 {
			t.Fatalf("accepted %+v", c)
		}
		if _, err := notify.ParseTLSPolicy(string(c.TLS)); err != nil || c.TLS == "" {
			t.Fatalf("accepted TLS policy %q", c.TLS)
		}
	})
}
