package server

import (
	"net/http"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/tr"
)

// handleRespond answers POST /respond/observables with the scan actions
// offered for each observable. It needs no token (the original asked for
// none) but accepts one.
func (s *server) handleRespond() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, ok := s.lookup(w, r, []ctim.Action{}, false)
		if !ok {
			return
		}
		actions := s.Relay.Respond(req.obs)
		if actions == nil {
			actions = []ctim.Action{}
		}
		writeTR(w, r, actions, nil)
	})
}

// handleTrigger answers POST /respond/trigger: it submits the observable to
// urlscan.io for a scan with the visibility the analyst picked.
func (s *server) handleTrigger() http.Handler {
	failure := map[string]any{"status": "failure"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r, s.Config.MaxBodyBytes)
		if err != nil {
			writeTR(w, r, nil, []error{err})
			return
		}
		fields, err := decodeObject(body)
		if err != nil {
			writeTR(w, r, nil, []error{err})
			return
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
		if err := fe.err(); err != nil {
			writeTR(w, r, nil, []error{err})
			return
		}
		noteObservables(r, 1)
		claims, err := s.authorize(r)
		if err != nil {
			writeTR(w, r, failure, []error{err})
			return
		}
		if claims.Key == "" {
			writeTR(w, r, failure, []error{tr.New(tr.PermissionDenied, tr.MsgMissingKey)})
			return
		}
		ctx := r.Context() // bounded by REQUEST_TIMEOUT in instrument
		if err := s.Relay.Trigger(ctx, claims.Key, t); err != nil {
			writeTR(w, r, failure, []error{err})
			return
		}
		writeTR(w, r, map[string]any{"status": "success"}, nil)
	})
}
