package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const page = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`

func setup(t *testing.T) *httptest.Server {
	t.Helper()
	h, err := newHandler(fstest.MapFS{
		"index.html":              {Data: []byte(page)},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/index-abc123.js":  {Data: []byte(`console.log("hi")`)},
		"assets/index-def456.css": {Data: []byte(`body{margin:0}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestServesTheConsole(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	tests := []struct {
		name, method, path string
		status             int
		ctype, cache, body string
	}{
		{name: "index at the root", path: "/", status: 200, ctype: "text/html; charset=utf-8", cache: "no-cache", body: page},
		{name: "index by name", path: "/index.html", status: 200, ctype: "text/html; charset=utf-8", cache: "no-cache", body: page},
		{name: "a client route", path: "/audiences/x", status: 200, ctype: "text/html; charset=utf-8", cache: "no-cache", body: page},
		{name: "a deep client route with a dot", path: "/imports/42/rejects.csv", status: 200, ctype: "text/html; charset=utf-8", body: page},
		{name: "a script", path: "/assets/index-abc123.js", status: 200, ctype: "text/javascript; charset=utf-8", cache: "public, max-age=31536000, immutable", body: `console.log("hi")`},
		{name: "a style sheet", path: "/assets/index-def456.css", status: 200, ctype: "text/css; charset=utf-8", cache: "public, max-age=31536000, immutable"},
		{name: "a root file", path: "/favicon.svg", status: 200, ctype: "image/svg+xml", cache: "no-cache"},
		{name: "HEAD", method: "HEAD", path: "/audiences", status: 200, ctype: "text/html; charset=utf-8"},
		{name: "a missing asset", path: "/assets/index-old999.js", status: 404},
		{name: "a missing asset folder", path: "/assets/", status: 404},
		{name: "the API", path: "/api/nope", status: 404},
		{name: "the API's root", path: "/api", status: 404},
		{name: "unsubscribe links", path: "/u/", status: 404},
		{name: "callbacks", path: "/callbacks/sms", status: 404},
		{name: "metrics", path: "/metrics", status: 404},
		{name: "tracking", path: "/t/o/abc", status: 404},
		{name: "another method", method: "POST", path: "/audiences", status: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			resp, body := get(t, srv, method, tt.path, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("%s %s: %d, want %d (%q)", method, tt.path, resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				if strings.Contains(body, "<div id=\"root\">") {
					t.Fatalf("%s %s answered the console's page", method, tt.path)
				}
				return
			}
			if got := resp.Header.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if got := resp.Header.Get("Cache-Control"); tt.cache != "" && got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			if tt.body != "" && body != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
		})
	}
}

// TestRevalidatesTheIndex: a browser that has the page asks again with its
// ETag and gets 304 until the build changes.
func TestRevalidatesTheIndex(t *testing.T) {
	t.Parallel()
	srv := setup(t)
	resp, _ := get(t, srv, "GET", "/campaigns", nil)
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("the page has no ETag or no CSP: %v", resp.Header)
	}
	resp, _ = get(t, srv, "GET", "/", http.Header{"If-None-Match": {etag}})
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %d, want 304", resp.StatusCode)
	}
}

// TestTheEmbeddedBuild: the committed build is embedded and complete
// (index.html names assets that are there).
func TestTheEmbeddedBuild(t *testing.T) {
	t.Parallel()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	index := string(h.index.data)
	var assets int
	for name := range h.files {
		if strings.HasPrefix(name, "assets/") && strings.Contains(index, "/"+name) {
			assets++
		}
	}
	if assets < 2 {
		t.Fatalf("index.html names %d embedded assets, want a script and a style sheet at least:\n%s", assets, index)
	}
}

func TestRefusesAnEmptyBuild(t *testing.T) {
	t.Parallel()
	if _, err := newHandler(fstest.MapFS{"assets/a.js": {Data: []byte("x")}}); err == nil {
		t.Fatal("a build without index.html was accepted")
	}
}

// TestCompresses: a client that accepts gzip gets the text files gzipped,
// with their own ETag; one that does not gets them as they are.
func TestCompresses(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("console.log('a fairly repetitive script');\n", 200)
	h, err := newHandler(fstest.MapFS{"index.html": {Data: []byte(page)}, "assets/app-1.js": {Data: []byte(big)}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	// A transport that leaves the encoding alone, to see what is sent.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	fetch := func(accept string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+"/assets/app-1.js", nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := fetch("gzip, deflate, br")
	if resp.Header.Get("Content-Encoding") != "gzip" || len(body) >= len(big) || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("with gzip accepted: encoding %q, %d bytes for %d, Vary %q", resp.Header.Get("Content-Encoding"), len(body), len(big), resp.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); string(plain) != big {
		t.Fatal("the gzipped body is not the file")
	}
	gzTag := resp.Header.Get("ETag")
	for _, accept := range []string{"", "identity", "gzip;q=0"} {
		resp, body = fetch(accept)
		if resp.Header.Get("Content-Encoding") != "" || string(body) != big || resp.Header.Get("ETag") == gzTag {
			t.Fatalf("Accept-Encoding %q: encoding %q, %d bytes, ETag %s (gzipped: %s)", accept, resp.Header.Get("Content-Encoding"), len(body), resp.Header.Get("ETag"), gzTag)
		}
	}
}
