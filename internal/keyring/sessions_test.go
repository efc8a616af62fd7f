package keyring_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fanfare-dev/fanfare/internal/keyring"
	"github.com/fanfare-dev/fanfare/internal/store"
	"github.com/fanfare-dev/fanfare/internal/store/storetest"
)

// TestSessions checks a session's life: accepted by another node of the
// store, refused once altered, its idle time slid by use up to its
// maximum age, ended by a sign-out (on every node), by its subject's end
// or by the retirement of the key that signed it, and purged once
// unusable.
func TestSessions(t *testing.T) {
	t.Parallel()
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			first, second := nodes(t, backend)
			now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			sessions := func(s *store.Store) *keyring.Sessions {
				ring := keyring.New(s)
				ring.Now = clock
				ss := keyring.NewSessions(s, ring)
				ss.Now, ss.Idle, ss.MaxAge = clock, time.Hour, 3*time.Hour
				return ss
			}
			s := first()
			a := sessions(s)
			cookie, sess, err := a.Open(ctx, "token:ci")
			if err != nil {
				t.Fatal(err)
			}
			if sess.Subject != "token:ci" || !sess.ExpiresAt.Equal(now.Add(time.Hour)) {
				t.Fatalf("opened %+v", sess)
			}
			if parts := strings.Split(cookie, "."); len(parts) != 4 {
				t.Fatalf("cookie %q: want <key id>.<id>.<secret>.<mac>", cookie)
			}
			// The store holds the secret's hash, not the secret.
			secret := strings.Split(cookie, ".")[2]
			var n int
			if err := storetest.DB(s).QueryRow(`SELECT count(*) FROM ff_sessions WHERE secret_hash = $1 OR id = $1`, secret).Scan(&n); err != nil || n != 0 {
				t.Errorf("the secret is stored in clear (%d, %v)", n, err)
			}
			cookie2, _, err := a.Open(ctx, "token:ci")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.Open(ctx, "token:ops"); err != nil {
				t.Fatal(err)
			}

			s2 := second()
			b := sessions(s2)
			if got, err := b.Check(ctx, cookie); err != nil || got.Subject != "token:ci" {
				t.Fatalf("other node checks the cookie: %+v, %v", got, err)
			}
			for name, bad := range map[string]string{
				"empty":          "",
				"garbage":        "not a cookie",
				"altered mac":    cookie[:len(cookie)-1] + flip(cookie[len(cookie)-1]),
				"altered id":     alter(cookie, 1),
				"altered secret": alter(cookie, 2),
				"unknown key":    "k00000000" + cookie[strings.Index(cookie, "."):],
				"mixed":          strings.Join(append(strings.Split(cookie, ".")[:3], strings.Split(cookie2, ".")[3]), "."),
			} {
				if _, err := b.Check(ctx, bad); !errors.Is(err, keyring.ErrNoSession) {
					t.Errorf("%s cookie: %v, want ErrNoSession", name, err)
				}
			}

			// Used every 50 minutes, the session outlives its idle hour,
			// but not its three hours.
			for i := 0; i < 3; i++ {
				now = now.Add(50 * time.Minute)
				got, err := b.Check(ctx, cookie)
				if err != nil {
					t.Fatalf("after %d×50 min: %v", i+1, err)
				}
				if want := now.Add(time.Hour); i < 2 && !got.ExpiresAt.Equal(want) {
					t.Errorf("after %d×50 min it expires at %v, want %v", i+1, got.ExpiresAt, want)
				}
			}
			now = now.Add(35 * time.Minute) // 3 h 5 min after it was opened
			if _, err := b.Check(ctx, cookie); !errors.Is(err, keyring.ErrNoSession) {
				t.Errorf("past its maximum age: %v, want ErrNoSession", err)
			}
			// cookie2 was not used: idle for over an hour long ago.
			if _, err := b.Check(ctx, cookie2); !errors.Is(err, keyring.ErrNoSession) {
				t.Errorf("idle for 3 h: %v, want ErrNoSession", err)
			}
			if n, err := b.Purge(ctx); n != 3 || err != nil {
				t.Errorf("purge = %d, %v, want 3", n, err)
			}

			// Sign-out on one node ends it on the other.
			fresh, _, err := b.Open(ctx, "token:ci")
			if err != nil {
				t.Fatal(err)
			}
			if subject, err := b.Close(ctx, fresh); subject != "token:ci" || err != nil {
				t.Fatalf("close = %q, %v", subject, err)
			}
			if _, err := b.Close(ctx, fresh); !errors.Is(err, keyring.ErrNoSession) {
				t.Errorf("close twice: %v, want ErrNoSession", err)
			}
			if _, err := b.Check(ctx, fresh); !errors.Is(err, keyring.ErrNoSession) {
				t.Errorf("after sign-out: %v, want ErrNoSession", err)
			}
			if backend == "postgres" {
				if _, err := a.Check(ctx, fresh); !errors.Is(err, keyring.ErrNoSession) {
					t.Errorf("after sign-out on the other node: %v, want ErrNoSession", err)
				}
			}

			// The end of a subject ends its sessions, not others'.
			c1, _, _ := b.Open(ctx, "token:ci")
			c2, _, _ := b.Open(ctx, "token:ops")
			if n, err := b.CloseSubject(ctx, "token:ci"); n != 1 || err != nil {
				t.Errorf("close token:ci's sessions = %d, %v", n, err)
			}
			if _, err := b.Check(ctx, c1); !errors.Is(err, keyring.ErrNoSession) {
				t.Errorf("a session of an ended subject: %v", err)
			}
			if _, err := b.Check(ctx, c2); err != nil {
				t.Errorf("another subject's session: %v", err)
			}

			// Retiring the key that signed a session ends it (on the node
			// that retires it at once, on others within their refresh).
			ring := keyring.New(s2)
			ring.Now = clock
			old, _ := ring.Current(ctx)
			if _, err := ring.Rotate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Check(ctx, c2); err != nil {
				t.Errorf("after a rotation: %v", err)
			}
			if err := ring.Retire(ctx, old.ID); err != nil {
				t.Fatal(err)
			}
			now = now.Add(keyring.DefaultRefresh)
			if _, err := b.Check(ctx, c2); !errors.Is(err, keyring.ErrNoSession) {
				t.Errorf("signed by a retired key: %v, want ErrNoSession", err)
			}
		})
	}
}

// alter changes one character of a cookie's part i.
func alter(cookie string, i int) string {
	parts := strings.Split(cookie, ".")
	p := parts[i]
	parts[i] = flip(p[0]) + p[1:]
	return strings.Join(parts, ".")
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
