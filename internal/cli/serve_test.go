package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a buffer a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeDemo runs "threshold serve --demo" in-process: it ingests the
// bundled sample, serves on a free port, tells how to make the first
// admin, answers the health check and stops cleanly when its context
// ends, as on SIGTERM.
func TestServeDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "serve.db")
	var out, errs lockedBuffer
	env := &Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs,
		Getenv:     func(k string) string { return map[string]string{"THRESHOLD_LOG_LEVEL": "warn"}[k] },
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		IsTerminal: func(io.Writer) bool { return false },
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"serve", "--demo", "--db", db, "--addr", "127.0.0.1:0"}, env) }()

	serving := regexp.MustCompile(`serving http://(127\.0\.0\.1:\d+)`)
	var addr string
	for deadline := time.Now().Add(60 * time.Second); addr == ""; {
		if m := serving.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case c := <-code:
			t.Fatalf("serve exited with %d before serving\nstdout:\n%s\nstderr:\n%s", c, out.String(), errs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start\n%s", out.String())
		}
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	// The first-admin hint is printed after the server starts serving:
	// give it time to arrive.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), "you@example.org") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{
		"GEDEvent_v23_1_central_african_republic.csv (ucdp-ged): read 1848, inserted 1848",
		"no default account",
		"threshold user add --db " + db + ` --org "Your organisation" --role admin you@example.org`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve output lacks %q:\n%s", want, out.String())
		}
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("serve exited with %d after its context ended\n%s", c, errs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want string // in stderr
	}{
		{"bad env duration", map[string]string{"THRESHOLD_SESSION_IDLE": "soon"}, nil, "THRESHOLD_SESSION_IDLE"},
		{"bad env bool", map[string]string{"THRESHOLD_MIGRATE": "perhaps"}, nil, "THRESHOLD_MIGRATE"},
		{"bad log level", nil, []string{"--log-level", "loud"}, "--log-level"},
		{"bad log format", map[string]string{"THRESHOLD_LOG_FORMAT": "xml"}, nil, "--log-format"},
		{"arguments", nil, []string{"extra"}, "unexpected arguments"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs,
				Getenv:     func(k string) string { return tt.env[k] },
				Log:        slog.New(slog.DiscardHandler),
				IsTerminal: func(io.Writer) bool { return false }}
			args := append([]string{"serve", "--db", filepath.Join(t.TempDir(), "x.db")}, tt.args...)
			if c := run(context.Background(), args, env); c != 2 || !strings.Contains(errs.String(), tt.want) {
				t.Errorf("serve %v: exit %d, stderr %q; want 2 and %q", tt.args, c, errs.String(), tt.want)
			}
		})
	}
	// Without --migrate, a database that is not up to date is refused.
	var out, errs bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs, Getenv: func(string) string { return "" },
		Log: slog.New(slog.DiscardHandler), IsTerminal: func(io.Writer) bool { return false }}
	if c := run(context.Background(), []string{"serve", "--db", filepath.Join(t.TempDir(), "new.db"), "--addr", "127.0.0.1:0"}, env); c != 1 ||
		!strings.Contains(errs.String(), "threshold migrate") {
		t.Errorf("serve on a new database without --migrate: exit %d, %q", c, errs.String())
	}
}
