// Package console serves the web console: the single-page application
// built from web/ by Vite into dist/ (committed, so `go build` needs no
// Node) and embedded into the binary.
//
// Text files are served gzipped to clients that accept it (compressed
// once per process). Hashed files under /assets/ are cached for a year;
// index.html and the other files at the root are revalidated on every load
// (no-cache, with an ETag), so a new binary's console is picked up at once.
// Any other path is a client route and answers index.html, except the
// server's own prefixes (/api/, /u/, /callbacks/, /metrics, /t/) and a
// missing /assets/ file, which answer 404: the fallback never hides an
// API's or a link's error.
package console
