package urlscan

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"urlscan-relay/internal/tr"
)

// Result fetches the result document of scan scanID. A scan urlscan no
// longer has answers an error that matches ErrResultGone. scanID comes from
// upstream answers: one that is not a plain id is refused without a
// request, so that it can never change the path.
//
// The document is decoded as it arrives, never buffered whole: it is
// mostly data.requests, which the relay skips, and a cold relay request
// reads forty of them at once.
func (c *Client) Result(ctx context.Context, apiKey, scanID string) (*Result, error) {
	if !ValidScanID(scanID) {
		return nil, &Error{Endpoint: endpointResult, TR: tr.New(tr.Unknown, msgBadScanID), Err: errInvalidScanID}
	}
	var res *Result
	err := c.doStream(ctx, apiKey, request{endpoint: endpointResult, method: http.MethodGet, url: ResultURL(c.base, scanID), idempotent: true},
		func(body io.Reader) error {
			s := c.stream()
			defer c.streams.Put(s)
			var err error
			res, err = decodeResult(body, s)
			return err
		})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ResultURL is where the result of scan id lives under base: its JSON
// document under the API's URL (URLSCAN_API_URL), its report page under
// the UI's (URLSCAN_UI_URL). Both are base/result/<id>/, id path-escaped.
func ResultURL(base, id string) string {
	return base + "/result/" + url.PathEscape(id) + "/"
}
