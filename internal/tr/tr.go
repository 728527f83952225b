// Package tr holds the error vocabulary of Cisco SecureX Threat Response:
// the codes and messages its relays answer with. It is a leaf package; every
// layer that produces an error an analyst will read produces a *tr.Error.
package tr

import (
	"context"
	"errors"
)

// Code is a Threat Response error code, as SecureX displays it.
type Code string

// The codes the relay answers with (PROTOCOL.md §2 and §3).
const (
	InvalidArgument    Code = "invalid argument"
	PermissionDenied   Code = "permission denied"
	NotFound           Code = "not found"
	TooManyRequests    Code = "too many requests"
	InternalError      Code = "internal error"
	ServiceUnavailable Code = "service unavailable"
	BadRequest         Code = "bad request"
	Unknown            Code = "unknown"
	AuthorizationError Code = "authorization error"
	HealthCheckFailed  Code = "health check failed"
	// TooManyEntities is the warning of an answer held to the relay's
	// bound on the entities of one answer.
	TooManyEntities Code = "too many entities"
)

// Messages shared by more than one layer.
const (
	MsgMissingKey  = "The request is missing a valid API key."
	MsgUnavailable = "The urlscan.io is unavailable. Please, try again later."
	MsgTooMany     = "Too many requests have been made to URLScan. Please, try again later."
)

// Error is an error an analyst reads in SecureX: a code and a message.
// Its message never carries a secret (API key or token).
type Error struct {
	Code    Code
	Message string
	// Warning marks an error that cost the answer nothing it could
	// have had within the relay's bounds, such as an answer cut to them:
	// Threat Response shows it beside the data as a warning, not a failure.
	Warning bool
}

// Error implements error.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// New returns a *Error with the given code and message.
func New(code Code, message string) *Error { return &Error{Code: code, Message: message} }

// Warn returns a warning: a *Error with Warning set.
func Warn(code Code, message string) *Error {
	return &Error{Code: code, Message: message, Warning: true}
}

// Invalid returns the "invalid argument" error of a request body that is
// not what the contract expects; details says why.
func Invalid(details string) *Error {
	return &Error{Code: InvalidArgument, Message: "Invalid JSON payload received. " + details + "."}
}

// Unavailable returns the "service unavailable" error for urlscan.io.
func Unavailable() *Error { return &Error{Code: ServiceUnavailable, Message: MsgUnavailable} }

// From turns any error into the *Error an analyst reads. A *Error anywhere
// in the chain is returned as it is; a spent deadline means urlscan.io did
// not answer in time; anything else becomes "unknown" with a generic
// message, so no internal detail (or secret) reaches the answer.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Unavailable()
	}
	return &Error{Code: Unknown, Message: "Unexpected error."}
}
