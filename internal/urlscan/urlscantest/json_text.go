package urlscantest

import (
	"encoding/json"
	"strconv"
)

// The fake's JSON is written by hand (see searchAnswer.marshal): these
// are the parts search answers and result documents share, and the
// primitives under them.

func (st *stats) appendJSON(b []byte) []byte {
	b = appendInt(b, `{"uniqIPs":`, st.UniqIPs)
	b = appendInt(b, `,"consoleMsgs":`, st.ConsoleMsgs)
	b = appendInt(b, `,"dataLength":`, st.DataLength)
	b = appendInt(b, `,"encodedDataLength":`, st.EncodedDataLength)
	b = appendInt(b, `,"requests":`, st.Requests)
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
