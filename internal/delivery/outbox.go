package delivery

import "github.com/fanfare-dev/fanfare/internal/store"

// Outbox statuses, as the outbox defines them (store.MessageStatus), in
// words for this package's callers.
const (
	StatusPending   = string(store.MessagePending)
	StatusClaimed   = string(store.MessageClaimed)
	StatusSending   = string(store.MessageSending)
	StatusSent      = string(store.MessageSent)
	StatusExcluded  = string(store.MessageExcluded)
	StatusFailed    = string(store.MessageFailed)
	StatusRetry     = string(store.MessageRetry)
	StatusInDoubt   = string(store.MessageInDoubt)
	StatusCancelled = string(store.MessageCancelled)
	StatusDropped   = string(store.MessageDropped)
)

// Exclusion, failure and waiting reasons, as the outbox defines them.
const (
	ReasonOptOut          = store.ReasonOptOut
	ReasonSuppressed      = store.ReasonSuppressed
	ReasonInvalidAddress  = store.ReasonInvalidAddress
	ReasonNoAddress       = store.ReasonNoAddress
	ReasonInactiveDevice  = store.ReasonInactiveDevice
	ReasonDuplicate       = store.ReasonDuplicate
	ReasonTemplate        = store.ReasonTemplate
	ReasonProviderFailed  = store.ReasonProviderFailed
	ReasonDispatcherDied  = store.ReasonDispatcherDied
	ReasonNoProvider      = store.ReasonNoProvider
	ReasonRetriesExceeded = store.ReasonRetriesExceeded
	ReasonRunPaused       = store.ReasonRunPaused
	ReasonOutsideWindow   = store.ReasonOutsideWindow
	ReasonProviderResting = store.ReasonProviderResting
)

// Row is one claimed outbox message.
type Row = store.OutboxRow
