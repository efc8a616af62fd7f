package demo

import _ "embed"

//go:embed model.yaml
var model []byte

// Model returns the demo data model document (model.yaml); the caller may
// modify the returned slice.
func Model() []byte {
	return append([]byte(nil), model...)
}
