// Package message turns a channel activity's content settings into
// rendered messages. The content specs (Email, SMS, Push) hold Liquid
// templates over a recipient's profile, its linked data, the run's
// enrichment columns and the campaign's variables; Compile checks them
// against the data model (unknown fields, syntax, filters) and reports
// which links they read, so a Loader fetches exactly those, one query per
// need for a whole batch of recipients. Render produces the
// channel.EmailContent, SMSContent or PushContent of one recipient; a
// template that fails for one recipient fails that message only.
package message
