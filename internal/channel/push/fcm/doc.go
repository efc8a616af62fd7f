// Package fcm is the push provider for Firebase Cloud Messaging's HTTP v1
// API: an OAuth 2.0 access token obtained with the service account's key
// (a signed JWT exchanged at its token URI) and cached until shortly before
// it expires, one request per message over HTTP/2, and FCM's error codes
// mapped to outcomes (UNREGISTERED deactivates the device).
package fcm
