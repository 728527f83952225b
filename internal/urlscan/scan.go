package urlscan

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Scan submits r.URL for scanning with r.Visibility. It is retried only
// when urlscan asked to wait (429) or the connection was never made, so a
// scan is never submitted twice.
func (c *Client) Scan(ctx context.Context, apiKey string, r ScanRequest) (*ScanResponse, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("urlscan: encoding scan request: %w", err)
	}
	var res *ScanResponse
	err = c.do(ctx, apiKey, request{endpoint: endpointScan, method: http.MethodPost, url: c.base + "/scan/", body: body},
		func(doc []byte) error {
			var err error
			res, err = decodeScan(doc)
			return err
		})
	if err != nil {
		return nil, err
	}
	return res, nil
}
