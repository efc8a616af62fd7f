package pushtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// APNs identities.
const (
	TeamID = "TEAM123456"
	KeyID  = "KEY1234567"
	Topic  = "dev.fanfare.app"
)

// APNs is a fake APNs.
type APNs struct {
	recorder
	Server *httptest.Server
	// PrivateKeyP8 is the key whose signatures the server trusts.
	PrivateKeyP8 []byte
	key          *ecdsa.PrivateKey

	jmu sync.Mutex
	// jwts holds the provider tokens whose signature was verified.
	jwts     map[string]bool
	expired  map[string]bool
	headers  []http.Header
	payloads []map[string]any
}

// NewAPNs starts a fake APNs that t closes.
func NewAPNs(t testing.TB) *APNs {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	a := &APNs{key: key, jwts: map[string]bool{}, expired: map[string]bool{}}
	a.PrivateKeyP8 = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /3/device/{token}", a.send)
	a.Server = startTLS(t, mux)
	return a
}

// JWTs lists the distinct provider tokens seen.
func (a *APNs) JWTs() []string {
	a.jmu.Lock()
	defer a.jmu.Unlock()
	var out []string
	for j := range a.jwts {
		out = append(out, j)
	}
	return out
}

// ExpireJWTs makes every provider token seen so far expired.
func (a *APNs) ExpireJWTs() {
	a.jmu.Lock()
	defer a.jmu.Unlock()
	for j := range a.jwts {
		a.expired[j] = true
	}
}

// Headers lists the headers of the requests accepted.
func (a *APNs) Headers() []http.Header {
	a.jmu.Lock()
	defer a.jmu.Unlock()
	return append([]http.Header(nil), a.headers...)
}

// Payloads lists the payloads accepted.
func (a *APNs) Payloads() []map[string]any {
	a.jmu.Lock()
	defer a.jmu.Unlock()
	return append([]map[string]any(nil), a.payloads...)
}

func (a *APNs) reason(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"reason": reason})
}

func (a *APNs) send(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 2 {
		a.bad(w, 505, "", "not HTTP/2")
		return
	}
	jwt, ok := strings.CutPrefix(r.Header.Get("Authorization"), "bearer ")
	if !ok {
		a.reason(w, 403, "MissingProviderToken")
		return
	}
	a.jmu.Lock()
	verified := a.jwts[jwt]
	a.jmu.Unlock()
	// A sender reuses one provider token for up to an hour: its signature
	// is checked the first time, then the token is matched against those
	// verified, so that a benchmark measures the sender rather than P-256
	// verifications on the same cores.
	if !verified && !a.verify(jwt) {
		a.recorder.bad(w, 403, `{"reason":"InvalidProviderToken"}`, "invalid provider token")
		return
	}
	a.jmu.Lock()
	a.jwts[jwt] = true
	expired := a.expired[jwt]
	a.jmu.Unlock()
	if expired {
		a.reason(w, 403, "ExpiredProviderToken")
		return
	}
	if !a.headersOK(w, r.Header) {
		return
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var payload map[string]any
	if json.Unmarshal(b, &payload) != nil {
		a.recorder.bad(w, 400, `{"reason":"PayloadEmpty"}`, "payload is not JSON")
		return
	}
	aps, ok := payload["aps"].(map[string]any)
	if !ok {
		a.recorder.bad(w, 400, `{"reason":"PayloadEmpty"}`, "no aps")
		return
	}
	if why := checkAPS(r.Header.Get("apns-push-type"), aps); why != "" {
		a.recorder.bad(w, 400, `{"reason":"InvalidPushType"}`, why)
		return
	}
	token := r.PathValue("token")
	if rep, ok := a.offer(token); ok {
		answer(w, r, rep)
		return
	}
	id, _ := payload["fanfare_message_id"].(string)
	if a.accept(id, token) {
		a.jmu.Lock()
		a.headers = append(a.headers, r.Header.Clone())
		a.payloads = append(a.payloads, payload)
		a.jmu.Unlock()
	}
	apnsID := r.Header.Get("apns-id")
	if apnsID == "" {
		apnsID = "00000000-0000-4000-8000-000000000000"
	}
	w.Header().Set("apns-id", apnsID)
	w.WriteHeader(200)
}

// headersOK checks a notification's apns-* header fields as APNs does,
// answering the first that is wrong with its reason; it reports whether
// all are right.
func (a *APNs) headersOK(w http.ResponseWriter, h http.Header) bool {
	switch {
	case h.Get("apns-topic") != Topic:
		a.recorder.bad(w, 400, `{"reason":"BadTopic"}`, "topic "+h.Get("apns-topic"))
		return false
	case h.Get("apns-push-type") != "alert" && h.Get("apns-push-type") != "background":
		a.recorder.bad(w, 400, `{"reason":"InvalidPushType"}`, "push type")
		return false
	case h.Get("apns-priority") != "10" && h.Get("apns-priority") != "5",
		h.Get("apns-push-type") == "background" && h.Get("apns-priority") != "5":
		a.recorder.bad(w, 400, `{"reason":"BadPriority"}`, "priority")
		return false
	case !isDigits(h.Get("apns-expiration")):
		a.recorder.bad(w, 400, `{"reason":"BadExpirationDate"}`, "expiration")
		return false
	case len(h.Get("apns-collapse-id")) > 64:
		a.recorder.bad(w, 400, `{"reason":"BadCollapseId"}`, "collapse id")
		return false
	}
	return true
}

// verify checks a provider token's claims and ES256 signature.
func (a *APNs) verify(jwt string) bool {
	var header struct{ Alg, Kid string }
	var claims struct {
		Iss string
		Iat int64
	}
	signed, sig, ok := decodeJWT(jwt, &header, &claims)
	digest := sha256.Sum256([]byte(signed))
	return ok && len(sig) == 64 && header.Alg == "ES256" && header.Kid == KeyID && claims.Iss == TeamID && claims.Iat != 0 &&
		ecdsa.Verify(&a.key.PublicKey, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}

// checkAPS says what is wrong with an aps dictionary for its push type,
// as Apple documents it: an alert push must alert, sound or badge (one
// with none shows nothing and never wakes the app); a background push
// must carry content-available 1 and nothing that shows.
func checkAPS(pushType string, aps map[string]any) string {
	_, alert := aps["alert"]
	_, sound := aps["sound"]
	_, badge := aps["badge"]
	switch pushType {
	case "alert":
		if !alert && !sound && !badge {
			return "alert push without alert, sound or badge"
		}
	case "background":
		if aps["content-available"] != float64(1) {
			return "background push without content-available 1"
		}
		if alert || sound || badge {
			return "background push with an alert, a sound or a badge"
		}
	}
	return ""
}

// isDigits reports whether s is empty or a decimal number.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
