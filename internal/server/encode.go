package server

import (
	"bytes"
	"net/http"

	"github.com/goccy/go-json"
)

// encode writes v as JSON with the given status. The body is encoded in
// full before the status goes out, so an encoding failure can still become
// a proper error answer instead of half a document. goccy/go-json encodes
// the same bytes as encoding/json about three times faster, which is most
// of the cost of a warm observe answer (docs/BENCHMARKS.md).
func encode(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		buf.Reset()
		status = http.StatusInternalServerError
		buf.WriteString(`{"errors":[{"type":"fatal","code":"unknown","message":"Unable to encode the answer."}]}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
