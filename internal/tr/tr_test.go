package tr

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestFrom(t *testing.T) {
	denied := New(PermissionDenied, MsgMissingKey)
	tests := []struct {
		name string
		err  error
		want *Error
	}{
		{"nil", nil, nil},
		{"itself", denied, denied},
		{"wrapped", fmt.Errorf("search ip %q: %w", "1.1.1.1", denied), denied},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), Unavailable()},
		{"canceled", context.Canceled, Unavailable()},
		{"anything else", errors.New("secret-key-123 leaked in an internal error"), &Error{Code: Unknown, Message: "Unexpected error."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := From(tt.err)
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("From(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	got := Invalid("Missing data")
	if got.Code != InvalidArgument || got.Message != "Invalid JSON payload received. Missing data." {
		t.Errorf("Invalid = %+v", got)
	}
}
