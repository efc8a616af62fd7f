package ingest

// ChangeColumn is the optional column that marks a row as an upsert
// (empty, "upsert") or a delete ("delete").
const ChangeColumn = "_change"

// Format is a file format.
type Format string

// Supported file formats.
const (
	FormatCSV    Format = "csv"
	FormatNDJSON Format = "ndjson"
)

// Reject is one problem with one row of an input file.
type Reject struct {
	Line   int64  `json:"line"`
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// Record is one row read from a file: raw values aligned with the columns
// the reader was built for. For CSV a raw value is a string ("" for an empty
// field); for NDJSON it is what encoding/json decodes with UseNumber
// (string, json.Number, bool, nil, map, slice). Missing marks columns the
// row did not mention at all (NDJSON keys that are absent); a CSV reader
// never sets it.
type Record struct {
	Line    int64
	Values  []any
	Missing []bool
}

// Reader streams the records of one file.
type Reader interface {
	// Next returns the next record. A row that cannot be read at all
	// (malformed JSON, wrong number of CSV fields) is returned as a non-nil
	// *Reject with a nil error, so the caller can report it and go on. At
	// the end Next returns io.EOF.
	Next() (*Record, *Reject, error)
}

// Converter turns one raw value into the value stored for an attribute, or
// explains why it cannot. A nil result is SQL NULL.
type Converter func(raw any) (any, error)
