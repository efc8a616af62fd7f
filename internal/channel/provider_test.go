package channel

import (
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"99999999999", time.Hour},
		{"Sun, 06 Dec 2026 03:01:30 GMT", 90 * time.Second},
		{"Sunday, 06-Dec-26 03:00:10 GMT", 10 * time.Second},
		{"Sun, 06 Dec 2026 02:59:00 GMT", 0},
		{"Mon, 07 Dec 2026 03:00:00 GMT", time.Hour},
	} {
		if got := RetryAfter(tt.value, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}
