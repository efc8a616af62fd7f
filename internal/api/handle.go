package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// none is the request of an operation that reads nothing from the HTTP
// request.
type none struct{}

// handle is the shape of every handler that answers with JSON: decode
// reads the operation's request from the HTTP request, call runs the
// operation (of the service), and its answer is written with status (204
// writes no body). Errors of either go through fail.
func handle[Req, Resp any](s *Server, decode func(*http.Request) (Req, error), call func(context.Context, Req) (Resp, error), status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := decode(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		resp, err := call(r.Context(), req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, resp)
	}
}

// noRequest decodes nothing.
func noRequest(*http.Request) (none, error) { return none{}, nil }

// pathName reads the {name} path value.
func pathName(r *http.Request) (string, error) { return r.PathValue("name"), nil }

// pathInt returns a decoder of an integer path value; what names it in
// the error ("run id").
func pathInt(key, what string) func(*http.Request) (int64, error) {
	return func(r *http.Request) (int64, error) {
		n, err := strconv.ParseInt(r.PathValue(key), 10, 64)
		if err != nil {
			return 0, errBadRequest(what + " must be an integer")
		}
		return n, nil
	}
}

// runID reads a run's id from the path.
var runID = pathInt("id", "run id")

// How jsonBody reads a body.
const (
	bodyOptional = 1 << iota // an empty body is the zero request
	bodyStrict               // unknown fields are refused
)

// jsonBody returns a decoder of a JSON body of at most limit bytes, read
// as flags say; numbers stay json.Number.
func jsonBody[T any](what string, limit int64, flags int) func(*http.Request) (T, error) {
	return func(r *http.Request) (T, error) {
		var v T
		dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, limit))
		dec.UseNumber()
		if flags&bodyStrict != 0 {
			dec.DisallowUnknownFields()
		}
		if err := dec.Decode(&v); err != nil && (flags&bodyOptional == 0 || !errors.Is(err, io.EOF)) {
			return v, errBadBody(what, err)
		}
		return v, nil
	}
}

// readAll returns a decoder of a whole body of at most limit bytes.
func readAll(what string, limit int64) func(*http.Request) ([]byte, error) {
	return func(r *http.Request) ([]byte, error) {
		b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
		if err != nil {
			return nil, errBadBody(what, err)
		}
		return b, nil
	}
}
