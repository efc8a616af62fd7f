package api

import (
	"errors"
	"html/template"
	"net/http"
	"time"

	"golang.org/x/text/language"

	"github.com/fanfare-dev/fanfare/internal/delivery"
)

var unsubscribePage = template.Must(template.New("u").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Button}}<form method="post"><button type="submit">{{.Button}}</button></form>{{end}}
</body></html>`))

// unsubscribeView is what the page says: a title, a text and, to ask
// before unsubscribing, a button.
type unsubscribeView struct {
	Lang, Title, Text, Button string
}

// The page's states, in each language it speaks.
const (
	pageAsk = iota
	pageDone
	pageBadLink
	pageRetry
	pageStale
)

var unsubscribeTexts = map[string][5]unsubscribeView{
	"en": {
		{Title: "Unsubscribe", Text: "Stop receiving these messages?", Button: "Unsubscribe"},
		{Title: "Unsubscribed", Text: "You will not receive these messages any more."},
		{Title: "Link not valid", Text: "This unsubscribe link is not valid. Use the link of a recent message."},
		{Title: "Please try again", Text: "We could not record your request just now."},
		{Title: "Subscribed again", Text: "You subscribed again after this message was sent, so its link no longer unsubscribes you. Use the link of a recent message."},
	},
	"fr": {
		{Title: "Se désabonner", Text: "Ne plus recevoir ces messages ?", Button: "Me désabonner"},
		{Title: "Désabonnement enregistré", Text: "Vous ne recevrez plus ces messages."},
		{Title: "Lien non valide", Text: "Ce lien de désabonnement n’est pas valide. Utilisez celui d’un message récent."},
		{Title: "Veuillez réessayer", Text: "Nous n’avons pas pu enregistrer votre demande pour le moment."},
		{Title: "Abonnement renouvelé", Text: "Vous vous êtes réabonné après l’envoi de ce message : son lien ne vous désabonne plus. Utilisez celui d’un message récent."},
	},
	"de": {
		{Title: "Abmelden", Text: "Diese Nachrichten nicht mehr erhalten?", Button: "Abmelden"},
		{Title: "Abgemeldet", Text: "Sie erhalten diese Nachrichten nicht mehr."},
		{Title: "Link ungültig", Text: "Dieser Abmeldelink ist ungültig. Verwenden Sie den Link einer aktuellen Nachricht."},
		{Title: "Bitte versuchen Sie es erneut", Text: "Ihre Anfrage konnte gerade nicht gespeichert werden."},
		{Title: "Erneut angemeldet", Text: "Sie haben sich nach dem Versand dieser Nachricht erneut angemeldet; ihr Link meldet Sie nicht mehr ab. Verwenden Sie den Link einer aktuellen Nachricht."},
	},
	"es": {
		{Title: "Darse de baja", Text: "¿Dejar de recibir estos mensajes?", Button: "Darme de baja"},
		{Title: "Baja confirmada", Text: "Ya no recibirás estos mensajes."},
		{Title: "Enlace no válido", Text: "Este enlace de baja no es válido. Usa el enlace de un mensaje reciente."},
		{Title: "Inténtalo de nuevo", Text: "No hemos podido registrar tu solicitud en este momento."},
		{Title: "Suscripción renovada", Text: "Te suscribiste de nuevo después del envío de este mensaje, así que su enlace ya no te da de baja. Usa el enlace de un mensaje reciente."},
	},
}

// pageLanguages are the languages of the page, English first: the one
// given when the browser asks for none of them.
var pageLanguages = language.NewMatcher([]language.Tag{language.English, language.French, language.German, language.Spanish})

// pageLanguage picks the page's language from the browser's
// Accept-Language.
func pageLanguage(r *http.Request) string {
	tag, _ := language.MatchStrings(pageLanguages, r.Header.Get("Accept-Language"))
	base, _ := tag.Base()
	if _, ok := unsubscribeTexts[base.String()]; ok {
		return base.String()
	}
	return "en"
}

// unsubscribeForm confirms before unsubscribing: mail scanners follow GET
// links, so only POST changes anything.
func (s *Server) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.links.Parse(r.Context(), r.PathValue("token")); err != nil {
		if !errors.Is(err, delivery.ErrBadLink) {
			s.log.Error("check unsubscribe link", "err", err)
			s.unsubscribePage(w, r, http.StatusInternalServerError, pageRetry)
			return
		}
		s.unsubscribePage(w, r, http.StatusBadRequest, pageBadLink)
		return
	}
	s.unsubscribePage(w, r, http.StatusOK, pageAsk)
}

// unsubscribe records the opt-out at once; it is also the RFC 8058
// one-click endpoint of the List-Unsubscribe-Post header. A link of a
// message made before the profile opted in again changes nothing (a
// replay must not undo the newer choice); the page says so.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	u, err := s.links.Parse(r.Context(), r.PathValue("token"))
	if errors.Is(err, delivery.ErrBadLink) {
		s.unsubscribePage(w, r, http.StatusBadRequest, pageBadLink)
		return
	}
	var out bool
	if err == nil {
		out, err = s.svc.Unsubscribe(r.Context(), u, time.Now())
	}
	if err != nil {
		s.log.Error("record unsubscribe", "err", err)
		s.unsubscribePage(w, r, http.StatusInternalServerError, pageRetry)
		return
	}
	if !out {
		s.unsubscribePage(w, r, http.StatusOK, pageStale)
		return
	}
	s.unsubscribePage(w, r, http.StatusOK, pageDone)
}

// unsubscribePage answers with the page in a state, in the language the
// browser prefers of those it speaks.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request, status, state int) {
	lang := pageLanguage(r)
	v := unsubscribeTexts[lang][state]
	v.Lang = lang
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "Accept-Language")
	w.WriteHeader(status)
	_ = unsubscribePage.Execute(w, v)
}
