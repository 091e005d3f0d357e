package schedule

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// TestRescueTimeout checks how long a run may be running before River's
// rescuer takes it for abandoned: its Timeout as inserted, which a
// server without the job reads too, plus the grace.
func TestRescueTimeout(t *testing.T) {
	s := New(nil, Config{})
	if err := s.Add(Job{Name: "known", Every: time.Hour, Timeout: 4 * time.Minute, Run: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
	w := &worker{s: s}
	for _, tt := range []struct {
		name string
		args runArgs
		want time.Duration
	}{
		{"inserted with its timeout", runArgs{Name: "known", Timeout: 8 * time.Second}, 10 * time.Second},
		{"a job this server lacks", runArgs{Name: "feed", Timeout: 15 * time.Minute}, 15*time.Minute + 10*time.Second},
		{"inserted before runs carried it", runArgs{Name: "known"}, 4*time.Minute + 10*time.Second},
		{"neither", runArgs{Name: "feed"}, DefaultTimeout + 10*time.Second},
	} {
		if got := w.Timeout(&river.Job[runArgs]{Args: tt.args}); got != tt.want {
			t.Errorf("%s: Timeout = %s, want %s", tt.name, got, tt.want)
		}
	}
}
