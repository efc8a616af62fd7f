package message

// Email is the content of an email activity. Every string field is a
// Liquid template; Text, when empty, is derived from the rendered HTML.
type Email struct {
	From      string            `json:"from"`
	ReplyTo   string            `json:"reply_to,omitempty"`
	Subject   string            `json:"subject"`
	Preheader string            `json:"preheader,omitempty"`
	HTML      string            `json:"html,omitempty"`
	Text      string            `json:"text,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	// Locale picks month names and number formats ("fr", "de-DE", or a
	// template such as "{{ profile.country | locale }}"); default "en".
	Locale string `json:"locale,omitempty"`
}

// SMS is the content of an SMS activity.
type SMS struct {
	From   string `json:"from,omitempty"`
	Text   string `json:"text"`
	Locale string `json:"locale,omitempty"`
}

// Push is the content of a push activity.
type Push struct {
	Title    string            `json:"title,omitempty"`
	Body     string            `json:"body"`
	Image    string            `json:"image,omitempty"`
	DeepLink string            `json:"deep_link,omitempty"`
	Data     map[string]string `json:"data,omitempty"`
	IOS      *IOSOptions       `json:"ios,omitempty"`
	Android  *AndroidOptions   `json:"android,omitempty"`
	Locale   string            `json:"locale,omitempty"`
	// Background makes a data-only push that wakes the app and shows
	// nothing: no title, body, image, sound, badge or category; Data is
	// what it carries (see checkPush).
	Background bool `json:"background,omitempty"`
}

// IOSOptions are the APNs-only settings of a push.
type IOSOptions struct {
	Badge    *int   `json:"badge,omitempty"`
	Sound    string `json:"sound,omitempty"`
	Category string `json:"category,omitempty"`
	// Expiration is how long APNs keeps trying to deliver the
	// notification, a duration ("6h"; "0s": once, at once); unset, APNs
	// decides. It is not a template.
	Expiration string `json:"expiration,omitempty"`
	// CollapseID makes the notification replace a shown one with the
	// same ID (apns-collapse-id, at most 64 bytes once rendered).
	CollapseID string `json:"collapse_id,omitempty"`
}

// AndroidOptions are the FCM-only settings of a push.
type AndroidOptions struct {
	Channel  string `json:"channel,omitempty"`
	Priority string `json:"priority,omitempty"`
}
