// Package push is the push channel's provider: it hands each message to
// the provider of its platform, APNs (package apns) for "ios" and FCM
// (package fcm) for "android".
package push
