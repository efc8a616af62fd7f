package apns

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"testing"
)

func TestDefaultClientIsHTTP2Only(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	p, err := New(Config{TeamID: "T", KeyID: "K", Topic: "t", PrivateKeyP8: key})
	if err != nil {
		t.Fatal(err)
	}
	tr := p.client.Transport.(*http.Transport)
	if tr.Protocols == nil || !tr.Protocols.HTTP2() || tr.Protocols.HTTP1() {
		t.Errorf("default transport protocols %v, want HTTP/2 only", tr.Protocols)
	}
}
