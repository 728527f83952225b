package urlscantest

import (
	"encoding/json"
	"strconv"
)

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
	s := &h.Stats
	b = appendInt(b, `},"stats":{"uniqIPs":`, s.UniqIPs)
	b = appendInt(b, `,"consoleMsgs":`, s.ConsoleMsgs)
	b = appendInt(b, `,"dataLength":`, s.DataLength)
	b = appendInt(b, `,"encodedDataLength":`, s.EncodedDataLength)
	b = appendInt(b, `,"requests":`, s.Requests)
	b = append(b, `},"page":`...)
	b = h.Page.appendJSON(b)
	b = appendInt(b, `,"uniq_countries":`, h.UniqCountries)
	b = appendText(b, `,"_id":`, h.ID)
	b = appendText(b, `,"result":`, h.Result)
	return append(b, '}')
}

func (p *page) appendJSON(b []byte) []byte {
	b = appendText(b, `{"url":`, p.URL)
	b = appendText(b, `,"domain":`, p.Domain)
	b = appendText(b, `,"ip":`, p.IP)
	b = appendText(b, `,"country":`, p.Country)
	b = appendText(b, `,"server":`, p.Server)
	b = appendText(b, `,"asn":`, p.ASN)
	b = appendText(b, `,"asnname":`, p.ASNName)
	b = appendText(b, `,"ptr":`, p.PTR)
	return append(b, '}')
}

func appendInt(b []byte, prefix string, n int) []byte {
	return strconv.AppendInt(append(b, prefix...), int64(n), 10)
}

// appendTexts appends prefix, then ss as a JSON list of strings (null
// when nil, as encoding/json writes a nil slice).
func appendTexts(b []byte, prefix string, ss []string) []byte {
	if ss == nil {
		return append(append(b, prefix...), "null"...)
	}
	b = append(b, prefix...)
	for i, s := range ss {
		sep := ","
		if i == 0 {
			sep = "["
		}
		b = appendText(b, sep, s)
	}
	if len(ss) == 0 {
		b = append(b, '[')
	}
	return append(b, ']')
}

// appendText appends prefix, then s as a JSON string. A string that
// encoding/json would escape (quotes, backslashes, control characters,
// <, > and &, anything outside ASCII) is left to encoding/json itself, so
// the escapes are always its own.
func appendText(b []byte, prefix, s string) []byte {
	b = append(b, prefix...)
	for i := 0; i < len(s); i++ {
		if !plain[s[i]] {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plain marks the bytes encoding/json writes as they are in a string.
var plain = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
