package service

import (
	"errors"

	"github.com/fanfare-dev/fanfare/internal/delivery"
	"github.com/fanfare-dev/fanfare/internal/store"
)

// ErrBadRequest matches an error in a request that no other domain error
// names (a misspelt field, a malformed parameter, a missing name).
var ErrBadRequest = errors.New("bad request")

// The store's errors the operations return, named here so that a door
// (the API's error table) matches them without reaching into the store:
// ErrNotFound for something that does not exist, ErrLimit for a request
// over one of the store's limits.
var (
	ErrNotFound = store.ErrNotFound
	ErrLimit    = store.ErrLimit
)

// BadRequestError is an error in the request itself, safe to show the
// caller; Err, when set, is why (a body over its limit, a domain error of
// a kind of its own, which then answers instead).
type BadRequestError struct {
	Msg string
	Err error
}

func (e *BadRequestError) Error() string { return e.Msg }

// Unwrap returns why the request was refused.
func (e *BadRequestError) Unwrap() error { return e.Err }

// Is makes every bad request match ErrBadRequest.
func (e *BadRequestError) Is(target error) bool { return target == ErrBadRequest }

// BadRequest is a request refused with a message.
func BadRequest(msg string) error { return &BadRequestError{Msg: msg} }

// Refused is a request the domain refused: a bad request, unless err is a
// kind of error of its own (an unknown channel), which then answers.
func Refused(err error) error { return &BadRequestError{Msg: err.Error(), Err: err} }

// kindError reads as its message and matches the domain error it is.
type kindError struct {
	msg string
	err error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.err }

// errNoProviders is a proof asked of a process that sends nothing.
var errNoProviders error = &kindError{msg: "no providers configured", err: delivery.ErrNoProvider}
