package notify

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := backoff{base: 10 * time.Second, max: time.Hour}
	tests := []struct {
		attempt int
		want    time.Duration // ±10%
	}{
		{1, 10 * time.Second},
		{2, 20 * time.Second},
		{3, 40 * time.Second},
		{6, 320 * time.Second},
		{9, 2560 * time.Second},
		{10, time.Hour}, // 5120 s, capped
		{1000, time.Hour},
	}
	for _, tt := range tests {
		for range 50 {
			got := b.delay(tt.attempt)
			lo, hi := time.Duration(float64(tt.want)*0.9), time.Duration(float64(tt.want)*1.1)
			if got < lo || got > hi {
				t.Errorf("delay(%d) = %s, want %s ±10%%", tt.attempt, got, tt.want)
				break
			}
		}
	}
}

func TestDeliveryIDStable(t *testing.T) {
	a := DeliveryID(7, "firing", "desk", "webhook", "https://h.example.org/x")
	if a != DeliveryID(7, "firing", "desk", "webhook", "https://h.example.org/x") || len(a) != 32 {
		t.Fatalf("DeliveryID not stable or not 32 hex digits: %s", a)
	}
	for _, other := range []string{
		DeliveryID(8, "firing", "desk", "webhook", "https://h.example.org/x"),
		DeliveryID(7, "resolved", "desk", "webhook", "https://h.example.org/x"),
		DeliveryID(7, "firing", "desk2", "webhook", "https://h.example.org/x"),
		DeliveryID(7, "firing", "desk", "email", "https://h.example.org/x"),
		DeliveryID(7, "firing", "desk", "webhook", "https://h.example.org/y"),
		DeliveryID(7, "firingdesk", "", "webhook", "https://h.example.org/x"), // no ambiguity across fields
	} {
		if other == a {
			t.Errorf("two deliveries share the id %s", a)
		}
	}
}
