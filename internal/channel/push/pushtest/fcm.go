package pushtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Project is the fake FCM project.
const Project = "fanfare-test"

// FCM is a fake FCM with its OAuth token endpoint.
type FCM struct {
	recorder
	Server *httptest.Server
	// ServiceAccount is a key file whose key the token endpoint trusts.
	ServiceAccount []byte
	// PrivateKeyPEM is the service account's key, to look for in output.
	PrivateKeyPEM string
	key           *rsa.PrivateKey

	tmu      sync.Mutex
	tokens   map[string]bool
	fetches  int
	issued   []string
	refuse   bool
	hang     bool
	payloads []map[string]any
}

// NewFCM starts a fake FCM that t closes.
func NewFCM(t testing.TB) *FCM {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f := &FCM{key: key, tokens: map[string]bool{}}
	f.PrivateKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("POST /v1/projects/{project}/{op}", f.send)
	f.Server = startTLS(t, mux)
	f.ServiceAccount, err = json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     Project,
		"private_key_id": "kid-1",
		"private_key":    f.PrivateKeyPEM,
		"client_email":   "sender@" + Project + ".iam.gserviceaccount.com",
		"token_uri":      f.Server.URL + "/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Fetches counts access tokens issued.
func (f *FCM) Fetches() int {
	f.tmu.Lock()
	defer f.tmu.Unlock()
	return f.fetches
}

// Issued lists the access tokens issued.
func (f *FCM) Issued() []string {
	f.tmu.Lock()
	defer f.tmu.Unlock()
	return append([]string(nil), f.issued...)
}

// RevokeAll makes every access token issued so far invalid.
func (f *FCM) RevokeAll() {
	f.tmu.Lock()
	defer f.tmu.Unlock()
	clear(f.tokens)
}

// RefuseTokens makes the token endpoint refuse every request.
func (f *FCM) RefuseTokens() {
	f.tmu.Lock()
	defer f.tmu.Unlock()
	f.refuse = true
}

// HangTokens makes the token endpoint never answer.
func (f *FCM) HangTokens() {
	f.tmu.Lock()
	defer f.tmu.Unlock()
	f.hang = true
}

// Payloads lists the message bodies accepted.
func (f *FCM) Payloads() []map[string]any {
	f.tmu.Lock()
	defer f.tmu.Unlock()
	return append([]map[string]any(nil), f.payloads...)
}

func (f *FCM) token(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 2 {
		f.bad(w, 400, `{"error":"invalid_request"}`, "token request not over HTTP/2")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		f.bad(w, 400, `{"error":"unsupported_grant_type"}`, "bad grant type")
		return
	}
	var header struct{ Alg, Typ, Kid string }
	var claims struct {
		Iss, Scope, Aud string
		Iat, Exp        int64
	}
	signed, sig, ok := decodeJWT(r.PostForm.Get("assertion"), &header, &claims)
	if !ok {
		f.bad(w, 400, `{"error":"invalid_grant"}`, "assertion is not a JWT")
		return
	}
	digest := sha256.Sum256([]byte(signed))
	if header.Alg != "RS256" || rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		f.bad(w, 400, `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`, "bad signature")
		return
	}
	var sa struct {
		ClientEmail string `json:"client_email"`
	}
	_ = json.Unmarshal(f.ServiceAccount, &sa)
	switch {
	case header.Kid != "kid-1":
		f.bad(w, 400, `{"error":"invalid_grant"}`, "kid "+header.Kid)
		return
	case claims.Iss != sa.ClientEmail:
		f.bad(w, 400, `{"error":"invalid_grant"}`, "iss "+claims.Iss)
		return
	case claims.Scope != "https://www.googleapis.com/auth/firebase.messaging":
		f.bad(w, 400, `{"error":"invalid_scope"}`, "scope "+claims.Scope)
		return
	case claims.Aud != f.Server.URL+"/token":
		f.bad(w, 400, `{"error":"invalid_grant"}`, "aud "+claims.Aud)
		return
	case claims.Exp-claims.Iat != 3600:
		f.bad(w, 400, `{"error":"invalid_grant"}`, "lifetime")
		return
	}
	f.tmu.Lock()
	if f.hang {
		f.tmu.Unlock()
		<-r.Context().Done()
		return
	}
	if f.refuse {
		f.tmu.Unlock()
		http.Error(w, `{"error":"invalid_grant","error_description":"Account disabled."}`, 400)
		return
	}
	f.fetches++
	tok := fmt.Sprintf("ya29.access-%d", f.fetches)
	f.tokens[tok] = true
	f.issued = append(f.issued, tok)
	f.tmu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"expires_in":3599,"token_type":"Bearer"}`, tok)
}

func (f *FCM) send(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 2 {
		f.bad(w, 400, "", "send not over HTTP/2")
		return
	}
	if r.PathValue("project") != Project || r.PathValue("op") != "messages:send" {
		f.bad(w, 404, `{"error":{"code":404,"status":"NOT_FOUND"}}`, "path "+r.URL.Path)
		return
	}
	f.tmu.Lock()
	ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	f.tmu.Unlock()
	if !ok {
		http.Error(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`, 401)
		return
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var body struct {
		Message map[string]any `json:"message"`
	}
	if err := json.Unmarshal(b, &body); err != nil || body.Message == nil {
		f.bad(w, 400, `{"error":{"code":400,"status":"INVALID_ARGUMENT"}}`, "body is not a message")
		return
	}
	token, _ := body.Message["token"].(string)
	data, _ := body.Message["data"].(map[string]any)
	if why := checkMessage(body.Message); why != "" {
		f.bad(w, 400, `{"error":{"code":400,"status":"INVALID_ARGUMENT"}}`, why)
		return
	}
	id, _ := data["fanfare_message_id"].(string)
	if rep, ok := f.offer(token); ok {
		answer(w, r, rep)
		return
	}
	if f.accept(id, token) {
		f.tmu.Lock()
		f.payloads = append(f.payloads, body.Message)
		f.tmu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"name":"projects/%s/messages/%s"}`, Project, id)
}

// checkMessage says what FCM would refuse in a message: a data key it
// reserves, apns headers that are not strings, a background push to
// Apple devices without content-available or with priority 10.
func checkMessage(m map[string]any) string {
	data, _ := m["data"].(map[string]any)
	for k := range data {
		lk := strings.ToLower(k)
		if lk == "from" || lk == "message_type" || lk == "notification" || lk == "collapse_key" ||
			strings.HasPrefix(lk, "google.") || strings.HasPrefix(lk, "gcm.") {
			return "reserved data key " + k
		}
	}
	apnsCfg, _ := m["apns"].(map[string]any)
	headers, _ := apnsCfg["headers"].(map[string]any)
	for k, v := range headers {
		if _, ok := v.(string); !ok {
			return "apns header " + k + " is not a string"
		}
	}
	if headers["apns-push-type"] == "background" {
		payload, _ := apnsCfg["payload"].(map[string]any)
		aps, _ := payload["aps"].(map[string]any)
		if headers["apns-priority"] != "5" || aps["content-available"] != float64(1) {
			return "background push without priority 5 and content-available 1"
		}
		if _, ok := m["notification"]; ok {
			return "background push with a notification"
		}
	}
	return ""
}
