package audience

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseJSON reads a query tree in its JSON form. Numbers stay json.Number,
// unknown fields and trailing data are refused, and {"param": "name"}
// values become Param. Errors are *SyntaxError with the byte offset (and
// line and column) of the problem; ParseJSON does not check the tree
// against a data model (see Validate).
func ParseJSON(data []byte) (*Node, error) {
	var n *Node
	if err := decodeStrict(data, &n); err != nil {
		return nil, err
	}
	if n == nil {
		return nil, newSyntaxError(data, 0, "expected a query object, got null")
	}
	if err := normalizeNode(n, ""); err != nil {
		return nil, err
	}
	return n, nil
}

// ParseQueryJSON reads a whole Query (dimension, where, params, now,
// timezone) the way ParseJSON reads a tree.
func ParseQueryJSON(data []byte) (*Query, error) {
	var q *Query
	if err := decodeStrict(data, &q); err != nil {
		return nil, err
	}
	if q == nil {
		return nil, newSyntaxError(data, 0, "expected a query object, got null")
	}
	if q.Where != nil {
		if err := normalizeNode(q.Where, "where"); err != nil {
			return nil, err
		}
	}
	for k, v := range q.Params {
		nv, err := normalizeValue(v, "params."+k)
		if err != nil {
			return nil, err
		}
		if _, ok := nv.(Param); ok {
			return nil, &SyntaxError{Msg: "params." + k + ": a parameter's value cannot be another parameter"}
		}
		q.Params[k] = nv
	}
	return q, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(data, dec, err)
	}
	end := int(dec.InputOffset())
	if _, err := dec.Token(); err != io.EOF {
		for end < len(data) && strings.IndexByte(" \t\r\n", data[end]) >= 0 {
			end++
		}
		return newSyntaxError(data, end, "unexpected data after the query")
	}
	return nil
}

// jsonError turns an encoding/json error into a *SyntaxError that says
// where the problem is.
func jsonError(data []byte, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset counts the offending byte as read.
		return newSyntaxError(data, int(se.Offset)-1, "invalid JSON: "+se.Error())
	case errors.As(err, &te):
		msg := fmt.Sprintf("%s cannot hold a JSON %s", jsonTypeName(te.Type.String()), te.Value)
		if te.Field != "" {
			msg = te.Field + ": " + msg
		}
		return newSyntaxError(data, int(te.Offset), msg)
	case errors.Is(err, io.EOF):
		return newSyntaxError(data, 0, "the query is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newSyntaxError(data, len(data), "the JSON ends too early")
	}
	// Unknown fields carry no offset, and the decoder has read the whole
	// value by then: point at the key's first appearance instead.
	msg := trimJSONPrefix(err.Error())
	pos := int(dec.InputOffset())
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		if i := bytes.Index(data, []byte(name)); i >= 0 {
			pos = i
		}
	}
	return newSyntaxError(data, pos, msg)
}

func jsonTypeName(goType string) string {
	switch goType {
	case "audience.Node", "*audience.Node":
		return "a node"
	case "[]*audience.Node":
		return "a list of nodes"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	return goType
}

func trimJSONPrefix(s string) string {
	const p = "json: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// normalizeNode turns {"param": …} objects into Param throughout a tree.
func normalizeNode(n *Node, path string) error {
	if n == nil {
		return nil
	}
	var err error
	if n.Value, err = normalizeValue(n.Value, qpath(path, "value")); err != nil {
		return err
	}
	if n.Count != nil {
		if n.Count.Value, err = normalizeValue(n.Count.Value, qpath(path, "count.value")); err != nil {
			return err
		}
	}
	if n.Aggregate != nil {
		if n.Aggregate.Value, err = normalizeValue(n.Aggregate.Value, qpath(path, "aggregate.value")); err != nil {
			return err
		}
	}
	for i, c := range n.And {
		if err := normalizeNode(c, qpath(path, "and["+strconv.Itoa(i)+"]")); err != nil {
			return err
		}
	}
	for i, c := range n.Or {
		if err := normalizeNode(c, qpath(path, "or["+strconv.Itoa(i)+"]")); err != nil {
			return err
		}
	}
	if err := normalizeNode(n.Not, qpath(path, "not")); err != nil {
		return err
	}
	return normalizeNode(n.Where, qpath(path, "where"))
}

func normalizeValue(v any, path string) (any, error) {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			ne, err := normalizeValue(e, path+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			x[i] = ne
		}
	case map[string]any:
		p, ok := x["param"]
		if !ok {
			return v, nil // Validate explains that objects are not values.
		}
		name, isString := p.(string)
		if len(x) != 1 || !isString {
			return nil, &SyntaxError{Msg: path + `: a parameter is written {"param": "name"} with nothing else`}
		}
		return Param{Param: name}, nil
	}
	return v, nil
}

func qpath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
