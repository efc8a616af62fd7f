package audit

import (
	"context"
	"testing"
)

func TestActorRoundTrip(t *testing.T) {
	for _, a := range []Actor{Token("default"), {Kind: KindCLI, Name: "alice"}, {Kind: KindToken, Name: "ops:eu"}} {
		got, err := Parse(a.String())
		if err != nil || got != a {
			t.Errorf("Parse(%q) = %+v, %v", a.String(), got, err)
		}
	}
	for _, bad := range []string{"", "alice", ":alice", "cli:"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if a := CLI(); a.Kind != KindCLI || a.Name == "" {
		t.Errorf("CLI() = %+v", a)
	}
	if _, ok := From(context.Background()); ok {
		t.Error("an actor in an empty context")
	}
	if a, ok := From(WithActor(context.Background(), Token("x"))); !ok || a != Token("x") {
		t.Errorf("From = %+v, %v", a, ok)
	}
}
