package campaign

import "testing"

// TestDocumentedExample keeps the example of docs/campaigns.md true.
func TestDocumentedExample(t *testing.T) {
	d, err := Parse([]byte(documentedExample(t)))
	if err != nil {
		t.Fatalf("the documented campaign does not parse: %v", err)
	}
	if err := Validate(d, setupModel(t), savedAudiences); err != nil {
		t.Fatalf("the documented campaign is invalid: %v", err)
	}
	if len(d.Activities) != 10 || d.Activities[0].ID != "start" || d.Activities[9].ID != "done" {
		t.Errorf("activities not in document order: %v", d.Activities)
	}
}
