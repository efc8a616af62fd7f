package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Reserved are the path prefixes the console never answers for: the
// server's own routes, present and to come. A prefix ending in "/" covers
// what is below it; one without also covers itself exactly.
var Reserved = []string{"/api/", "/u/", "/callbacks/", "/metrics", "/t/"}

// securityPolicy is the Content-Security-Policy of the console's pages:
// scripts and styles from the console only (Mantine injects its theme as
// a style element, hence 'unsafe-inline' for styles alone), frames from
// the same origin (message previews), and nothing may frame the console.
const securityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// file is one embedded file, read once.
type file struct {
	name  string
	data  []byte
	etag  string
	ctype string
	// gz is data gzipped, when that is smaller (text: scripts, styles,
	// the page); nil otherwise.
	gz []byte
}

// Handler serves the console.
type Handler struct {
	files map[string]*file // by path without the leading "/"
	index *file
}

// New returns the handler of the embedded build, read and compressed once
// per process. It fails when the build has no index.html (a dist/ left
// empty).
func New() (*Handler, error) { return embedded() }

var embedded = sync.OnceValues(func() (*Handler, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, fmt.Errorf("console: open the embedded build: %w", err)
	}
	return newHandler(sub)
})

func newHandler(fsys fs.FS) (*Handler, error) {
	h := &Handler{files: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(data)
		}
		f := &file{name: p, data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: ctype}
		if compressible(ctype) {
			// Compressed once here, not per request: the first load is
			// about a quarter of its size on the wire (docs/console.md).
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			if _, err := zw.Write(data); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			if buf.Len() < len(data) {
				f.gz = buf.Bytes()
			}
		}
		h.files[p] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: read the embedded build: %w", err)
	}
	h.index = h.files["index.html"]
	if h.index == nil {
		return nil, fmt.Errorf("console: the embedded build has no index.html (run `make ui`)")
	}
	return h, nil
}

// ServeHTTP serves a file of the build, or index.html for a client route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if IsReserved(p) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if f := h.files[name]; f != nil && name != "index.html" {
		if strings.HasPrefix(name, "assets/") {
			// The name carries a hash of the content: it never changes.
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		h.serve(w, r, f)
		return
	}
	if strings.HasPrefix(p, "/assets/") {
		// A missing asset is a stale page or a bad link: index.html
		// in its place would fail as a script with a confusing error.
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", securityPolicy)
	w.Header().Set("Referrer-Policy", "same-origin")
	h.serve(w, r, h.index)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, f *file) {
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	data, etag := f.data, f.etag
	if f.gz != nil {
		w.Header().Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			// Each encoding is its own representation, with its own ETag.
			data, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			w.Header().Set("Content-Encoding", "gzip")
		}
	}
	w.Header().Set("ETag", etag)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(data))
}

// compressible tells the content types worth compressing.
func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") || strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) listed without
// q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// IsReserved tells whether the path p belongs to the server rather than
// the console.
func IsReserved(p string) bool {
	for _, prefix := range Reserved {
		if strings.HasPrefix(p, prefix) || p == strings.TrimSuffix(prefix, "/") {
			return true
		}
	}
	return false
}
