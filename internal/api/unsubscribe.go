package api

import (
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

var unsubscribePage = template.Must(template.New("u").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Form}}<form method="post"><button type="submit">Unsubscribe</button></form>{{end}}
</body></html>`))

type unsubscribeView struct {
	Title, Text string
	Form        bool
}

// unsubscribeForm confirms before unsubscribing: mail scanners follow GET
// links, so only POST changes anything.
func (s *Server) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.signer.Parse(r.PathValue("token")); err != nil {
		s.unsubscribePage(w, http.StatusBadRequest, unsubscribeView{Title: "Link not valid", Text: "This unsubscribe link is not valid. Use the link of a recent message."})
		return
	}
	s.unsubscribePage(w, http.StatusOK, unsubscribeView{Title: "Unsubscribe", Text: "Stop receiving these messages?", Form: true})
}

// unsubscribe records the opt-out at once; it is also the RFC 8058
// one-click endpoint of the List-Unsubscribe-Post header.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	u, err := s.signer.Parse(r.PathValue("token"))
	if errors.Is(err, delivery.ErrBadLink) {
		s.unsubscribePage(w, http.StatusBadRequest, unsubscribeView{Title: "Link not valid", Text: "This unsubscribe link is not valid. Use the link of a recent message."})
		return
	}
	if err := delivery.SetConsent(r.Context(), s.store, u.Dimension, u.ProfileKey, u.Channel, delivery.OptOut, "unsubscribe:"+u.MessageID, time.Now()); err != nil {
		s.log.Error("record unsubscribe", "err", err)
		s.unsubscribePage(w, http.StatusInternalServerError, unsubscribeView{Title: "Please try again", Text: "We could not record your request just now."})
		return
	}
	s.unsubscribePage(w, http.StatusOK, unsubscribeView{Title: "Unsubscribed", Text: "You will not receive these messages any more."})
}

func (s *Server) unsubscribePage(w http.ResponseWriter, status int, v unsubscribeView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = unsubscribePage.Execute(w, v)
}
