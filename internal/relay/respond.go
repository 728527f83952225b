package relay

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/tr"
	"urlscan-relay/internal/urlscan"
)

// actionPrefix starts the id of every scan action; the visibility ends it.
const actionPrefix = "urlscan-scan-"

// Respond returns the scan actions for obs: one per configured visibility
// for each url, domain and hostname. It needs no API key.
func (s *Service) Respond(obs []ctim.Observable) []ctim.Action {
	// Never nil: the answer is a JSON list even when it is empty.
	actions := []ctim.Action{}
	for _, o := range Normalize(obs) {
		if scanAs(o.Type) == notScannable {
			continue
		}
		if _, denied := s.deny.match(observableHost(o.Type, o.Value)); denied {
			continue
		}
		for _, v := range s.visibilities {
			actions = append(actions, ctim.Action{
				ID:          actionPrefix + v,
				Title:       "Scan with urlscan.io (" + v + ")",
				Description: "Submit this " + o.Type + " to urlscan.io for " + article(v) + " " + v + " scan",
				Categories:  []string{"urlscan.io", "Scan"},
				QueryParams: map[string]string{
					"observable_value": o.Value,
					"observable_type":  o.Type,
					"visibility":       v,
				},
			})
		}
	}
	return actions
}

// article is "an" before a visibility that starts with a vowel sound
// ("an unlisted scan"), else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// Trigger is a scan action the analyst picked, as SecureX sends it back.
type Trigger struct {
	ActionID        string
	ObservableType  string
	ObservableValue string
	// Visibility comes from the action's query-params; when it is empty the
	// action-id names it.
	Visibility string
}

// Trigger submits the scan t asks for. It refuses, with an "invalid
// argument" *tr.Error, an action, visibility or observable Respond would not
// have offered (SCAN_DENY included), and a URL that is not http(s) with a
// host; otherwise it
// returns urlscan.io's error, if any.
func (s *Service) Trigger(ctx context.Context, apiKey string, t Trigger) error {
	req, err := s.scanRequest(t)
	if err != nil {
		return err
	}
	res, err := s.up.Scan(ctx, apiKey, req)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	s.submitted(ctx, apiKey, strings.ToLower(t.ObservableType), t.ObservableValue, req, res)
	return nil
}

// scanRequest checks t against what Respond offers and turns it into the
// submission urlscan.io expects.
func (s *Service) scanRequest(t Trigger) (urlscan.ScanRequest, error) {
	visibility, ok := strings.CutPrefix(t.ActionID, actionPrefix)
	if !ok || !slices.Contains(s.visibilities, visibility) {
		return urlscan.ScanRequest{}, tr.New(tr.InvalidArgument, fmt.Sprintf("Unknown action-id %q.", t.ActionID))
	}
	if t.Visibility != "" && t.Visibility != visibility {
		return urlscan.ScanRequest{}, tr.New(tr.InvalidArgument,
			fmt.Sprintf("Visibility %q does not match action-id %q.", t.Visibility, t.ActionID))
	}
	typ := strings.ToLower(t.ObservableType)
	if scanAs(typ) == notScannable {
		return urlscan.ScanRequest{}, tr.New(tr.InvalidArgument,
			fmt.Sprintf("Observable type %q cannot be scanned.", t.ObservableType))
	}
	target, err := scanURL(typ, t.ObservableValue)
	if err != nil {
		return urlscan.ScanRequest{}, err
	}
	if dom, denied := s.deny.match(observableHost("url", target)); denied {
		return urlscan.ScanRequest{}, deniedError(typ, t.ObservableValue, dom)
	}
	if err := scanTargetError(typ, target, s.allowPrivate); err != nil {
		return urlscan.ScanRequest{}, err
	}
	return urlscan.ScanRequest{URL: target, Visibility: visibility, Tags: s.scanTags, Country: s.scanCountry}, nil
}

// scanURL is the URL urlscan.io should visit for an observable: a url as it
// is, a domain or hostname as its https root.
func scanURL(typ, value string) (string, error) {
	asHost := scanAs(typ) != scanAsURL
	target := value
	if asHost {
		target = "https://" + value + "/"
	}
	u, err := url.Parse(target)
	ok := err == nil && (strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")) && u.Host != ""
	if ok && asHost {
		// Anything beyond a bare host (a path, a port, credentials) would
		// send the scanner somewhere the analyst did not pick.
		ok = u.Host == value && u.User == nil && u.Path == "/" && u.RawQuery == "" && u.Fragment == "" && u.Port() == ""
	}
	if !ok {
		return "", tr.New(tr.InvalidArgument, fmt.Sprintf("Cannot scan %s %q: not an http(s) address with a host.", typ, value))
	}
	return target, nil
}
