// Package smtp is the email provider that sends over SMTP: a pool of
// persistent connections (plain, STARTTLS or implicit TLS, with AUTH),
// MIME messages with 7bit or quoted-printable bodies, signed with DKIM, and
// SMTP replies mapped to outcomes so that a message that may have been
// accepted is never reported as safe to retry.
package smtp
