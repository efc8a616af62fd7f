package apitest

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/fanfare-dev/fanfare/internal/api"
)

// contract is the loaded document with its router.
type contract struct {
	doc       *openapi3.T
	router    routers.Router
	errorBody *openapi3.Schema
}

// load reads the document once per test binary; a document that does
// not validate as OpenAPI fails every test that checks traffic.
var load = sync.OnceValues(func() (*contract, error) {
	return parse(api.OpenAPIDocument())
})

func parse(raw []byte) (*contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	router, err := legacy.NewRouter(doc) // validates the document
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	eb := doc.Components.Schemas["ErrorBody"]
	if eb == nil || eb.Value == nil {
		return nil, errors.New("openapi.json has no ErrorBody schema")
	}
	return &contract{doc: doc, router: router, errorBody: eb.Value}, nil
}

// exchange is one request and its answer as seen by the wrapper; a body
// not seen whole (the handler stopped reading, the connection broke, or
// it passed the capture limit) is not checked.
type exchange struct {
	req       *http.Request
	reqBody   []byte
	reqWhole  bool
	status    int
	header    http.Header
	respBody  []byte
	respWhole bool
}

// operation names a route as the document does: "GET /api/runs/{id}".
func operation(r *routers.Route) string { return r.Method + " " + r.Path }

// check returns the operation the exchange reached ("" outside the
// document) and what in it disagrees with the document.
func (c *contract) check(ex exchange) (string, []string) {
	req := ex.req.Clone(context.Background())
	req.Body = http.NoBody
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return "", c.checkUnrouted(ex)
	}
	var problems []string
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearer, SkipSettingDefaults: true, ExcludeRequestBody: !ex.reqWhole}}
	if ex.reqWhole && len(ex.reqBody) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(ex.reqBody))
		req.ContentLength = int64(len(ex.reqBody))
		if !defaultContentType(req, route.Operation) {
			in.Options.ExcludeRequestBody = true
		}
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && ex.status < 400 {
		problems = append(problems, fmt.Sprintf("the server accepted a request the document refuses: %v", err))
	}
	problems = append(problems, c.checkResponse(ex, in, route)...)
	return operation(route), problems
}

// checkResponse checks the answer against the operation's responses.
func (c *contract) checkResponse(ex exchange, in *openapi3filter.RequestValidationInput, route *routers.Route) []string {
	var problems []string
	ctype, _, _ := mime.ParseMediaType(ex.header.Get("Content-Type"))
	ndjson := ctype == "application/x-ndjson"
	events := ctype == "text/event-stream"
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.status, Header: ex.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: !ex.respWhole || ndjson || events}}
	out.SetBodyBytes(ex.respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		problems = append(problems, err.Error())
	}
	resp := route.Operation.Responses.Status(ex.status)
	if resp != nil && resp.Value != nil && len(resp.Value.Content) == 0 && len(ex.respBody) > 0 && ex.req.Method != http.MethodHead {
		problems = append(problems, fmt.Sprintf("a %s body the document does not declare", cmp.Or(ctype, "typeless")))
	}
	if (ndjson || events) && ex.respWhole && resp != nil && resp.Value != nil {
		if mt := resp.Value.Content.Get(ctype); mt != nil && mt.Schema != nil {
			check := lines
			if events {
				check = updates
			}
			problems = append(problems, check(ex.respBody, mt.Schema.Value)...)
		}
	}
	if ex.status >= 400 && ex.respWhole {
		problems = append(problems, c.checkError(ctype, ex.respBody)...)
	}
	return problems
}

// checkUnrouted checks an exchange the document has no operation for:
// under /api/ it must be refused (404 or 405) with the error shape; other
// paths (the links in messages, provider callbacks) are not the API's.
func (c *contract) checkUnrouted(ex exchange) []string {
	if !strings.HasPrefix(ex.req.URL.Path, "/api/") {
		return nil
	}
	var problems []string
	if ex.status != http.StatusNotFound && ex.status != http.StatusMethodNotAllowed {
		problems = append(problems, "no operation of the document serves it, yet the server answered")
	}
	ctype, _, _ := mime.ParseMediaType(ex.header.Get("Content-Type"))
	if ex.respWhole {
		problems = append(problems, c.checkError(ctype, ex.respBody)...)
	}
	return problems
}

// checkError checks an error answer against ErrorBody, whatever its
// operation declares.
func (c *contract) checkError(ctype string, body []byte) []string {
	if ctype != "application/json" {
		return []string{fmt.Sprintf("an error answered as %q, not as an application/json ErrorBody", ctype)}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{fmt.Sprintf("an error body that is not JSON: %v", err)}
	}
	if err := c.errorBody.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
		return []string{fmt.Sprintf("an error body that is not an ErrorBody: %v", err)}
	}
	return nil
}

// lines checks each line of an NDJSON body against the schema of a line.
func lines(body []byte, schema *openapi3.Schema) []string {
	var problems []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, len(body)+1)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			problems = append(problems, fmt.Sprintf("NDJSON line %d is not JSON: %v", n, err))
			continue
		}
		if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
			problems = append(problems, fmt.Sprintf("NDJSON line %d does not match its schema: %v", n, err))
		}
	}
	return problems
}

// updates checks the data of each update event of a server-sent event
// stream against the schema (an error event's data is an ErrorBody, which
// checkError's rules do not reach mid-stream: it is only read as JSON).
func updates(body []byte, schema *openapi3.Schema) []string {
	var problems []string
	for i, ev := range strings.Split(string(body), "\n\n") {
		var event, data string
		for _, line := range strings.Split(ev, "\n") {
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data += strings.TrimPrefix(line, "data: ")
			}
		}
		if data == "" {
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			problems = append(problems, fmt.Sprintf("event %d (%s): its data is not JSON: %v", i+1, event, err))
			continue
		}
		if event != "update" {
			continue
		}
		if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
			problems = append(problems, fmt.Sprintf("event %d (update) does not match its schema: %v", i+1, err))
		}
	}
	return problems
}

// bearer holds a request to the document's security schemes: it presents
// a bearer token, or for the session scheme the cookie the scheme names
// (whether the server knows either is the server's business).
func bearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if ss := in.SecurityScheme; ss != nil && ss.Type == "apiKey" && ss.In == "cookie" {
		if c, err := in.RequestValidationInput.Request.Cookie(ss.Name); err != nil || c.Value == "" {
			return errors.New("no " + ss.Name + " cookie")
		}
		return nil
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(in.RequestValidationInput.Request.Header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

// defaultContentType reads a body sent without a Content-Type as the
// server does — by the operation, not the header: as JSON when the
// operation takes JSON, else as the one type it takes; false when it
// takes several (the body is then not checked).
func defaultContentType(req *http.Request, op *openapi3.Operation) bool {
	if req.Header.Get("Content-Type") != "" || op.RequestBody == nil || op.RequestBody.Value == nil {
		return true
	}
	content := op.RequestBody.Value.Content
	switch {
	case content["application/json"] != nil:
		req.Header.Set("Content-Type", "application/json")
	case len(content) == 1:
		for k := range content {
			req.Header.Set("Content-Type", k)
		}
	default:
		return false
	}
	return true
}
