package urlscantest

import "strconv"

// marshal writes ans as encoding/json's Marshal does, byte for byte (the
// tests hold the two to the same output), but by hand: the load
// benchmark's cold searches each get a fresh answer, and a reflective
// encoder of 100 hits made the fake, which shares the machine with the
// relay it measures, a visible part of what the benchmark counted.
func (ans *searchAnswer) marshal() []byte {
	b := make([]byte, 0, 512+len(ans.Results)*700)
	b = append(b, `{"results":`...)
	if ans.Results == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range ans.Results {
			if i > 0 {
				b = append(b, ',')
			}
			b = ans.Results[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = appendInt(b, `,"total":`, ans.Total)
	b = appendInt(b, `,"took":`, ans.Took)
	b = append(b, `,"has_more":`...)
	b = strconv.AppendBool(b, ans.HasMore)
	return append(b, '}')
}

func (h *searchHit) appendJSON(b []byte) []byte {
	t := &h.Task
	b = appendText(b, `{"task":{"visibility":`, t.Visibility)
	b = appendText(b, `,"method":`, t.Method)
	b = appendText(b, `,"time":`, t.Time)
	b = appendText(b, `,"source":`, t.Source)
	b = appendText(b, `,"url":`, t.URL)
	b = h.Stats.appendJSON(append(b, `},"stats":`...))
	b = h.Page.appendJSON(append(b, `,"page":`...))
	b = appendInt(b, `,"uniq_countries":`, h.UniqCountries)
	b = appendText(b, `,"_id":`, h.ID)
	b = appendText(b, `,"result":`, h.Result)
	return append(b, '}')
}
