package server

import (
	"net/http"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/relay"
)

// handleRespond answers POST /respond/observables with the scan actions
// offered for each observable. It needs no token (the original asked for
// none) but accepts one.
func (s *server) handleRespond() http.Handler {
	return answerTR(func(r *http.Request) (any, []error) {
		req, err := s.readObservables(r, false)
		if err != nil {
			return failed(err)
		}
		if len(req.obs) == 0 {
			return []ctim.Action(nil), nil
		}
		return s.Relay.Respond(req.obs), nil
	})
}

// handleTrigger answers POST /respond/trigger: it submits the observable to
// urlscan.io for a scan with the visibility the analyst picked.
func (s *server) handleTrigger() http.Handler {
	failure := map[string]any{"status": "failure"}
	success := map[string]any{"status": "success"}
	return answerTR(func(r *http.Request) (any, []error) {
		t, err := s.readTrigger(r)
		if err != nil {
			return failed(err)
		}
		noteObservables(r, 1)
		claims, err := s.authorize(r)
		if err != nil {
			return failure, []error{err}
		}
		key, err := apiKey(claims)
		if err != nil {
			return failure, []error{err}
		}
		ctx := r.Context() // bounded by REQUEST_TIMEOUT in instrument
		if err := s.Relay.Trigger(ctx, key, t); err != nil {
			return failure, []error{err}
		}
		return success, nil
	})
}

// readTrigger reads a trigger body: the action, the observable and
// perhaps a visibility.
func (s *server) readTrigger(r *http.Request) (relay.Trigger, error) {
	fields, err := s.readObject(r)
	if err != nil {
		return relay.Trigger{}, err
	}
	fe := fieldErrors{}
	t := relay.Trigger{
		ActionID:        requireString(fe, "_schema", "action-id", fields),
		ObservableType:  requireString(fe, "_schema", "observable_type", fields),
		ObservableValue: requireString(fe, "_schema", "observable_value", fields),
	}
	if v, present := fields["visibility"]; present {
		vis, isStr := v.(string)
		if !isStr {
			fe.add("_schema", "visibility", msgNotStr)
		}
		t.Visibility = vis
	}
	return t, fe.err()
}
