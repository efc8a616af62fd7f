// Package apns is the push provider for the Apple Push Notification
// service: token-based authentication (an ES256 JWT signed with the team's
// .p8 key and reused for up to 50 minutes), one HTTP/2 request per message
// with an apns-id derived from the message ID so a resend is recognisable,
// and APNs reasons mapped to outcomes (Unregistered and BadDeviceToken
// deactivate the device).
package apns
