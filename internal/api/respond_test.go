package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/api"
	"github.com/fanfare-dev/fanfare/internal/schema"
)

// TestConcurrentModelChangeIsAConflict: a model applied while another
// apply planned its changes is a conflict the caller resolves by applying
// again (409), not a server fault (500), and its answer names it.
func TestConcurrentModelChangeIsAConflict(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("apply data model: %w", schema.ErrConcurrentChange)
	for _, k := range api.ErrorKinds() {
		if errors.Is(err, k.Err) {
			if k.Status != http.StatusConflict || k.Code != "conflict" {
				t.Fatalf("answered %d %s/%s, want 409 conflict", k.Status, k.Code, k.Reason)
			}
			if !errors.Is(api.KnownError(k.Code, k.Reason), schema.ErrConcurrentChange) {
				t.Fatalf("%s/%s decodes to %v", k.Code, k.Reason, api.KnownError(k.Code, k.Reason))
			}
			return
		}
	}
	t.Fatal("no error kind matches schema.ErrConcurrentChange: the API answers it 500")
}
