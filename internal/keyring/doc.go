// Package keyring keeps the secrets every Fanfare node sharing a store
// uses, in the store itself, so that what one node issues any other
// accepts.
//
// A Ring holds the keys that sign and encrypt links: each has an id,
// carried in clear by what it protects, so a link names the key that
// checks it. Rotate adds a key, which issues every new link; older keys
// keep checking the links already sent until they are retired. Each use
// derives its own subkey (Key.Derive), so unsubscribe links, sessions and
// tracking links never share key material.
//
// Tokens holds API tokens by their SHA-256 with a name: a token is shown
// once, when created, and can be revoked by name.
//
// Sessions are the console's: a browser signs in once and holds a cookie
// signed with the ring's keys, naming a session kept in the store (by the
// hash of its secret), which any node accepts and a sign-out ends.
package keyring
