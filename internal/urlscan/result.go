package urlscan

import (
	"context"
	"net/http"
	"net/url"

	"urlscan-relay/internal/tr"
)

// Result fetches the result document of scan scanID. A scan urlscan no
// longer has answers an error that matches ErrResultGone. scanID comes from
// upstream answers: one that is not a plain id is refused without a
// request, so that it can never change the path.
func (c *Client) Result(ctx context.Context, apiKey, scanID string) (*Result, error) {
	if !ValidScanID(scanID) {
		return nil, &Error{Endpoint: endpointResult, TR: tr.New(tr.Unknown, msgBadScanID), Err: errInvalidScanID}
	}
	var res *Result
	err := c.do(ctx, apiKey, request{endpoint: endpointResult, method: http.MethodGet, url: c.base + "/result/" + url.PathEscape(scanID) + "/", idempotent: true},
		func(doc []byte) error {
			var err error
			res, err = decodeResult(doc)
			return err
		})
	if err != nil {
		return nil, err
	}
	return res, nil
}
