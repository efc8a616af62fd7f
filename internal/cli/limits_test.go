package cli

import (
	"testing"

	"github.com/fanfare-dev/fanfare/internal/ingest"
)

func TestReadLimitFlags(t *testing.T) {
	t.Parallel()
	var b ByteSize
	if err := b.UnmarshalText([]byte("64KiB")); err != nil || b != 64<<10 {
		t.Fatalf("64KiB = %d, %v", b, err)
	}
	if err := b.UnmarshalText([]byte("lots")); err == nil {
		t.Fatal("lots parsed as a size")
	}
	got := readLimitFlags{MaxLine: 64 << 10, MaxInflated: 10 << 20}.limits()
	if want := (ingest.Limits{MaxLine: 64 << 10, MaxInflated: 10 << 20, MaxInflateRatio: -1}); got != want {
		t.Errorf("limits = %+v, want %+v (a ratio of 0 turns the check off)", got, want)
	}
}
