package service_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/fanfare-dev/fanfare/internal/audience"
	"github.com/fanfare-dev/fanfare/internal/service"
	"github.com/fanfare-dev/fanfare/internal/store"
)

func TestAudienceQueries(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		fr := service.AudienceRequest{Text: `country = "FR"`}
		if n := got(svc.AudienceCount(ctx, fr)).must(t); n.Count != 2 {
			t.Errorf("count: %+v", n)
		}
		where := service.AudienceRequest{Dimension: "customers", Where: json.RawMessage(`{"attr": "country", "op": "=", "value": "DE"}`), Breakdown: "country", Sample: 1}
		n := got(svc.AudienceCount(ctx, where)).must(t)
		if n.Count != 1 || n.Breakdown == nil || n.Sample == nil {
			t.Errorf("count with breakdown and sample: %+v", n)
		}
		v := got(svc.AudienceValidate(ctx, fr)).must(t)
		if !v.Valid || v.Dimension != "customers" || v.Text != `country = "FR"` || v.Where == nil {
			t.Errorf("validate: %+v", v)
		}

		_, err := svc.AudienceCount(ctx, service.AudienceRequest{Text: "x = 1", Where: json.RawMessage(`{}`)})
		wantIs(t, "both forms", err, service.ErrBadRequest)
		_, err = svc.AudienceCount(ctx, service.AudienceRequest{Where: json.RawMessage(`[1]`)})
		wantIs(t, "a where that does not read", err, service.ErrBadRequest)
		var qerr *audience.ValidationError
		_, err = svc.AudienceValidate(ctx, service.AudienceRequest{Text: "nonesuch = 1"})
		wantAs(t, "invalid query", err, &qerr)
		// A syntax error crosses the wire as an invalid query whose one
		// problem is the text's (the client cannot rebuild its position).
		var serr *audience.SyntaxError
		_, err = svc.AudienceCount(ctx, service.AudienceRequest{Text: "country = "})
		if err == nil || (!errors.As(err, &serr) && !errors.As(err, &qerr)) {
			t.Errorf("syntax error: %T %v", err, err)
		}
		_, err = svc.AudienceCount(ctx, service.AudienceRequest{Text: "all", Breakdown: "country", Top: 1 << 20})
		wantIs(t, "invalid request", err, audience.ErrInvalidRequest)
	})
}

func TestSavedAudiences(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, im impl) {
		fixture(t, im)
		ctx, svc := im.ctx, im.svc
		fr := service.AudienceRequest{Name: "french", Description: "the French", Text: `country = "FR"`}
		a := got(svc.AudienceSave(ctx, fr)).must(t)
		if a.Name != "french" || a.Count != 2 || a.Version != 1 || a.Dimension != "customers" {
			t.Errorf("save: %+v", a)
		}
		_, err := svc.AudienceSave(ctx, fr)
		wantIs(t, "saved twice", err, audience.ErrExists)
		_, err = svc.AudienceSave(ctx, service.AudienceRequest{Text: "all"})
		wantIs(t, "no name", err, service.ErrBadRequest)

		if list := got(svc.Audiences(ctx)).must(t); len(list) != 1 || list[0].Name != "french" {
			t.Errorf("list: %+v", list)
		}
		if got := got(svc.Audience(ctx, "french")).must(t); got.Description != "the French" || got.Count != 2 {
			t.Errorf("get: %+v", got)
		}
		_, err = svc.Audience(ctx, "nonesuch")
		wantIs(t, "unknown audience", err, store.ErrNotFound)

		if a := got(svc.AudienceRefresh(ctx, "french")).must(t); a.Version != 2 || a.Count != 2 {
			t.Errorf("refresh: %+v", a)
		}
		if a := got(svc.AudienceAppend(ctx, "french", service.AudienceRequest{Text: `country = "DE"`})).must(t); a.Version != 3 || a.Count != 3 {
			t.Errorf("append: %+v", a)
		}
		vs := got(svc.AudienceVersions(ctx, "french")).must(t)
		if len(vs) != 3 || !vs[2].Current || vs[2].Kind != audience.KindAppend {
			t.Errorf("versions: %+v", vs)
		}
		// Who made each version: the person at the command line, or the
		// API token (the server's own token here).
		author := map[string]string{"local": "cli:", "client": "token:"}[im.name]
		for _, v := range vs {
			if !strings.HasPrefix(v.CreatedBy, author) || len(v.CreatedBy) == len(author) {
				t.Errorf("version %d made by %q, want %s…", v.Version, v.CreatedBy, author)
			}
		}
		wantIs(t, "delete the current version", svc.AudienceDeleteVersion(ctx, "french", 3), audience.ErrCurrentVersion)
		if err := svc.AudienceDeleteVersion(ctx, "french", 1); err != nil {
			t.Error(err)
		}

		var csv, ndjson bytes.Buffer
		if err := svc.AudienceExport(ctx, "french", 0, []string{"email"}, "", &csv); err != nil {
			t.Fatal(err)
		}
		if lines := strings.Split(strings.TrimSpace(csv.String()), "\n"); len(lines) != 4 || !strings.Contains(lines[0], "email") {
			t.Errorf("export csv:\n%s", csv.String())
		}
		if err := svc.AudienceExport(ctx, "french", 2, nil, audience.FormatNDJSON, &ndjson); err != nil {
			t.Fatal(err)
		}
		if lines := strings.Split(strings.TrimSpace(ndjson.String()), "\n"); len(lines) != 2 {
			t.Errorf("export version 2 as ndjson:\n%s", ndjson.String())
		}
		var none bytes.Buffer
		wantIs(t, "export an unknown audience", svc.AudienceExport(ctx, "nonesuch", 0, nil, "", &none), store.ErrNotFound)
		wantIs(t, "export as xml", svc.AudienceExport(ctx, "french", 0, nil, "xml", &none), audience.ErrInvalidRequest)
		if none.Len() > 0 {
			t.Errorf("a failed export wrote %q", none.String())
		}

		if err := svc.AudienceDelete(ctx, "french"); err != nil {
			t.Fatal(err)
		}
		wantIs(t, "delete twice", svc.AudienceDelete(ctx, "french"), store.ErrNotFound)
	})
}
