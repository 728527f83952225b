package urlscantest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// A generated result document is head + padding + tail: the padding is the
// long data.requests array that real documents carry and the relay never
// reads. It is built once per size and shared by every document, so that
// the fake can serve thousands of large documents a second.

// GenerateResult returns a complete result document for scan id, about
// docBytes long (at least a few KiB). The same arguments give the same
// bytes. Benchmarks of result decoders use it as a realistic document.
func GenerateResult(id string, docBytes int) []byte {
	head, tail := resultParts(id, hitMeta{})
	pad := requestsPadding(docBytes - len(head) - len(tail))
	doc := make([]byte, 0, len(head)+len(pad)+len(tail))
	return append(append(append(doc, head...), pad...), tail...)
}

// requestsPadding returns the elements of a data.requests array, about n
// bytes long, shaped like the requests a browser made during a real scan:
// nested objects, escaped strings, numbers, booleans, nulls.
func requestsPadding(n int) []byte {
	r := seeded("padding")
	var b []byte
	for i := 0; len(b) < n || i == 0; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRequest(b, r, i)
	}
	return b
}

func appendRequest(b []byte, r *rand.Rand, i int) []byte {
	host := randomDomain(r)
	u := "https://" + host + "/assets/" + strconv.Itoa(i) + "/app.js?v=" + strconv.Itoa(r.IntN(1e6)) + "\u0026lang=en"
	reqID := strings.ToUpper(uuidFrom(r)[:13])
	status := []int{200, 200, 200, 204, 301, 404}[r.IntN(6)]
	size := r.IntN(200000)
	ts := 1000 + r.Float64()*1000
	return fmt.Appendf(b, `{"request":{"requestId":%q,"loaderId":%q,"documentURL":%q,`+
		`"request":{"url":%q,"method":"GET","headers":{"Upgrade-Insecure-Requests":"1","User-Agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36","Referer":%q,"Accept":"*/*"},"mixedContentType":"none","initialPriority":"High","referrerPolicy":"strict-origin-when-cross-origin","isSameSite":true},`+
		`"timestamp":%.6f,"wallTime":%.3f,"initiator":{"type":"parser","url":%q,"lineNumber":%d,"columnNumber":%d},"redirectHasExtraInfo":false,"type":"Script","frameId":%q,"hasUserGesture":false,"primaryRequest":%t},`+
		`"response":{"encodedDataLength":%d,"dataLength":%d,"requestId":%q,"type":"Script",`+
		`"response":{"url":%q,"status":%d,"statusText":"","headers":{"content-type":"application/javascript; charset=utf-8","cache-control":"public, max-age=31536000","server":"cloudflare","etag":"\"%x\"","x-note":"quote \" and backslash \\ and unicode \u00e9\u4e2d"},"mimeType":"application/javascript","remoteIPAddress":%q,"remotePort":443,"connectionReused":%t,"connectionId":%d,"fromDiskCache":false,"fromServiceWorker":false,"encodedDataLength":%d,`+
		`"timing":{"requestTime":%.6f,"proxyStart":-1,"proxyEnd":-1,"dnsStart":0.123,"dnsEnd":1.456,"connectStart":1.456,"connectEnd":12.789,"sslStart":3.2,"sslEnd":12.7,"sendStart":13.1,"sendEnd":13.4,"receiveHeadersEnd":%.3f},`+
		`"responseTime":%.3f,"protocol":"h2","securityState":"secure","securityDetails":{"protocol":"TLS 1.3","keyExchange":"","cipher":"AES_128_GCM","certificateId":0,"subjectName":%q,"sanList":[%q,%q],"issuer":"R3","validFrom":1700000000,"validTo":1800000000,"signedCertificateTimestampList":[],"certificateTransparencyCompliance":"unknown"}},`+
		`"hasExtraInfo":true,"hash":"%016x%016x%016x%016x","size":%d,"asn":{"ip":%q,"asn":"13335","country":"US","registrar":"arin","date":"2010-07-14","description":"CLOUDFLARENET, US","route":"104.16.0.0/13","name":"CLOUDFLARENET"},"geoip":{"country":"US","region":"","timezone":"America/Chicago","city":"","ll":[37.751,-97.822],"country_name":"United States","metro":0},"rdns":null}}`,
		reqID, reqID, "https://"+host+"/", u, "https://"+host+"/",
		ts, 1.7e9+ts, "https://"+host+"/", r.IntN(400), r.IntN(4000), reqID, i == 0,
		size, size*3, reqID,
		u, status, r.Uint32(), randomIP(r), i > 0, r.IntN(500), size,
		ts, 20+r.Float64()*300,
		1.7e12+ts*1000, host, host, "*."+host,
		r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64(), size*3, randomIP(r))
}

// verdict is a document's verdicts.overall, which verdicts.urlscan repeats.
type verdict struct {
	Score       int
	Categories  []string
	Brands      []string
	Tags        []string
	Malicious   bool
	HasVerdicts int
}

// The members every document the fake writes has alike.
const (
	sameMeta      = `{"processors":{"geoip":{"data":[]},"umbrella":{"data":[]}}}`
	sameEngines   = `{"benign":[],"malicious":[],"score":0,"verdicts":[]}`
	sameCommunity = `{"categories":[],"score":0,"tags":[],"votes":[]}`
	sameSubmitter = `{"country":"DE"}`
)

// resultMembers writes the members after data of the document of scan id,
// which ran at at with the given visibility and landed on p, as
// ,"stats":…}: by hand, as marshal writes search answers, in the order and
// with the escapes encoding/json gave them (the golden documents hold the
// bytes). hashes is lists.hashes, which only curated scans list (nil:
// none).
func resultMembers(id string, at time.Time, visibility string, p page, st stats, overall verdict, hashes []string) []byte {
	b := st.appendJSON(append(make([]byte, 0, 2048), `,"stats":`...))
	b = append(b, `,"meta":`+sameMeta...)
	b = appendText(b, `,"task":{"uuid":`, id)
	b = appendText(b, `,"time":`, at.UTC().Format("2006-01-02T15:04:05.000Z"))
	b = appendText(b, `,"url":`, p.URL)
	b = appendText(b, `,"visibility":`, visibility)
	b = append(b, `,"method":"api","source":"0a9aface","tags":[]`...)
	b = appendText(b, `,"reportURL":`, "https://urlscan.io/result/"+id+"/")
	b = appendText(b, `,"screenshotURL":`, "https://urlscan.io/screenshots/"+id+".png")
	b = appendText(b, `,"domURL":`, "https://urlscan.io/dom/"+id+"/")
	b = p.appendJSON(append(b, `},"page":`...))
	b = append(b, `,"lists":{"certificates":[]`...)
	b = appendTexts(b, `,"domains":`, []string{p.Domain})
	if hashes != nil {
		b = appendTexts(b, `,"hashes":`, hashes)
	}
	b = appendTexts(b, `,"ips":`, []string{p.IP})
	b = appendTexts(b, `,"urls":`, []string{p.URL})
	b = overall.appendJSON(append(b, `},"verdicts":{"overall":`...))
	b = overall.appendJSON(append(b, `,"urlscan":`...))
	b = append(b, `,"engines":`+sameEngines+`,"community":`+sameCommunity+`},"submitter":`+sameSubmitter...)
	return append(b, '}')
}

func (v *verdict) appendJSON(b []byte) []byte {
	b = appendInt(b, `{"score":`, v.Score)
	b = appendTexts(b, `,"categories":`, v.Categories)
	b = appendTexts(b, `,"brands":`, v.Brands)
	b = appendTexts(b, `,"tags":`, v.Tags)
	b = strconv.AppendBool(append(b, `,"malicious":`...), v.Malicious)
	b = appendInt(b, `,"hasVerdicts":`, v.HasVerdicts)
	return append(b, '}')
}

// dataRest closes a document's data.requests and writes the rest of data.
const dataRest = `],"cookies":[],"console":[],"links":[],"globals":[]}`

// resultParts returns the opening of a result document up to its
// data.requests elements, and everything after them. meta, when known,
// makes the document agree with the search hit that named the scan.
func resultParts(id string, meta hitMeta) (head, tail []byte) {
	r := seeded("result\x00" + id)
	if meta.time.IsZero() {
		meta.time = time.Unix(epochUnix, 0).UTC().Add(-time.Duration(r.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Millisecond)
		meta.page = pageFor(r, "", "")
	}
	st := stats{UniqIPs: 1 + r.IntN(10), ConsoleMsgs: r.IntN(5), DataLength: 4000, EncodedDataLength: 3000, Requests: 40}
	overall := verdict{Categories: []string{}, Brands: []string{}, Tags: []string{}}
	if r.IntN(3) == 0 {
		categories := []string{"phishing", "malicious", "coinmining"}
		tags := [][]string{{"phishing", "credential-harvesting"}, {"malicious"}, {"coinmining", "cryptojacking"}}
		k := r.IntN(len(categories))
		overall = verdict{Score: 100, Categories: []string{categories[k]}, Brands: []string{}, Tags: tags[k], Malicious: true, HasVerdicts: 1}
	}
	if meta.verdict != nil {
		overall = verdict{Categories: []string{}, Brands: []string{}, Tags: []string{}}
		if *meta.verdict {
			overall = verdict{Score: 100, Categories: []string{"phishing"}, Brands: []string{}, Tags: []string{"phishing"}, Malicious: true, HasVerdicts: 1}
		}
	}
	return []byte(`{"data":{"requests":[`), append([]byte(dataRest), resultMembers(id, meta.time, "public", meta.page, st, overall, nil)...)
}

// MaliciousResult is GenerateResult for the first of a few fixed scan ids
// whose verdict is malicious, so that every member a decoder keeps is
// filled: the realistic document of decoder tests and benchmarks.
func MaliciousResult(docBytes int) []byte {
	for _, id := range []string{"0c8b1a1e-55c3-4f6e-9d0a-3f2b7c9e4d11", "7d3e2f10-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "e4b1c2d3-0f1e-4a5b-9c6d-7e8f9a0b1c2d", "13cde17f-a7f5-4e27-8a56-5e81bc086a37"} {
		if _, tail := resultParts(id, hitMeta{}); bytes.Contains(tail, []byte(`"overall":{"score":100,`)) {
			return GenerateResult(id, docBytes)
		}
	}
	panic("urlscantest: no malicious document among the fixed ids")
}

// RecordReader answers reads of at most max bytes from r, as a TLS
// connection answers one record (16 KiB at most) per read.
func RecordReader(r io.Reader, max int) io.Reader {
	return &recordReader{r, max}
}

type recordReader struct {
	r   io.Reader
	max int
}

func (r *recordReader) Read(p []byte) (int, error) {
	return r.r.Read(p[:min(len(p), r.max)])
}
