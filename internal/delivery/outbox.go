package delivery

// Outbox statuses.
const (
	StatusPending  = "pending"
	StatusClaimed  = "claimed"
	StatusSending  = "sending"
	StatusSent     = "sent"
	StatusExcluded = "excluded"
	StatusFailed   = "failed"
	StatusRetry    = "retry"
	StatusInDoubt  = "in_doubt"
	// StatusCancelled: the run was stopped before the message was handed
	// to a provider.
	StatusCancelled = "cancelled"
	// StatusDropped: an operator settled an in-doubt message as not sent
	// (fanfare campaign resolve --drop); it keeps the reason it was in
	// doubt, and the provider may have had it.
	StatusDropped = "dropped"
)

// Exclusion and failure reasons.
const (
	ReasonOptOut          = "opt_out"
	ReasonSuppressed      = "suppressed"
	ReasonInvalidAddress  = "invalid_address"
	ReasonNoAddress       = "no_address"
	ReasonInactiveDevice  = "inactive_device"
	ReasonDuplicate       = "duplicate_address"
	ReasonTemplate        = "template_error"
	ReasonProviderFailed  = "provider_rejected"
	ReasonDispatcherDied  = "dispatcher_stopped_mid_send"
	ReasonNoProvider      = "no_provider"
	ReasonRetriesExceeded = "retries_exceeded"
	// ReasonRunPaused holds a message while its run is paused.
	ReasonRunPaused = "run_paused"
)

// Row is one claimed outbox message.
type Row struct {
	MessageID string
	RunID     int64
	Activity  string
	Channel   string
	Dimension string
	// Recipient is the recipient's key as a JSON object.
	Recipient string
	Address   string
	Platform  string
	Attempts  int
	// Seq is the row's number in the outbox (see claimEmbedded).
	Seq int64
}
