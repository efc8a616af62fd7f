package channel

import "strings"

// ReservedDataKey tells why a push data key cannot be used, or "": FCM
// refuses a message whose data holds a key it reserves ("from",
// "message_type", "notification", "collapse_key", any "google." or
// "gcm." one), and "aps" is APNs' own.
func ReservedDataKey(k string) string {
	lk := strings.ToLower(k)
	switch {
	case lk == "from" || lk == "message_type" || lk == "notification" || lk == "collapse_key":
		return "reserved by FCM"
	case strings.HasPrefix(lk, "google.") || strings.HasPrefix(lk, "gcm."):
		return "reserved by FCM (google.* and gcm.* keys)"
	case k == "aps":
		return "reserved by APNs"
	case k == "":
		return "empty"
	}
	return ""
}

// DataOnly reports whether a push shows nothing: marked Background, or
// without a title, a body, a badge or a sound. APNs takes it as a
// background push (content-available, priority 5), which wakes the app;
// sent as an alert, it would be dropped.
func (c *PushContent) DataOnly() bool {
	return c.Background || c.Title == "" && c.Body == "" && c.Badge == nil && c.Sound == ""
}
