package urlscan

import (
	"github.com/tidwall/gjson"

	"urlscan-relay/internal/jsonscan"
)

// parseObject validates doc as one JSON object and returns the values of the
// named top-level members, in the order asked; a missing member is a zero
// gjson.Result. It never returns data for a document that is not valid JSON.
func parseObject(doc []byte, members ...string) ([]gjson.Result, error) {
	raw, err := jsonscan.Members(doc, members...)
	if err != nil {
		return nil, err
	}
	return parsed(raw), nil
}

// parsed parses raw member values, as jsonscan found them, with gjson; a
// nil value is a zero gjson.Result. The results never alias raw, so that
// its buffer can be reused and nothing keeps a whole document alive.
func parsed(raw [][]byte) []gjson.Result {
	out := make([]gjson.Result, len(raw))
	for k, v := range raw {
		if v != nil {
			out[k] = gjson.Parse(string(v)) // string() copies
		}
	}
	return out
}
