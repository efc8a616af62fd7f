package delivery

import (
	"math/rand/v2"
	"time"
)

// maxBackoff bounds the wait between two attempts of a message.
const maxBackoff = 30 * time.Minute

// retryDelay is how long a message waits after a transient failure of its
// attempts-th attempt: what the provider asked for (its Retry-After),
// else backoff doubled at each attempt up to maxBackoff, less up to half
// of it by jitter (in [0, 1)), so that messages failed together by a
// throttling provider come back spread out rather than all at once. One
// jitter serves a whole chunk, which keeps the chunk's retries one update
// per attempt count.
func retryDelay(attempts int, asked time.Duration, jitter float64) time.Duration {
	if asked > 0 {
		return asked
	}
	d := backoff << min(max(attempts-1, 0), 10)
	d = min(d, maxBackoff)
	return d - time.Duration(jitter*float64(d)/2)
}

// newJitter draws a chunk's jitter.
func newJitter() float64 { return rand.Float64() }
