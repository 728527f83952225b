package urlscantest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
)

// TestSearchMarshalIsEncodingJSON holds the hand-written encoder to
// encoding/json's bytes, on generated answers and on strings that need
// every kind of escape.
func TestSearchMarshalIsEncodingJSON(t *testing.T) {
	var answers []searchAnswer
	for _, q := range []string{
		`page.domain:"example.com"`, `page.ip:"1.1.1.1"`, `page.ip:"2606:4700::1111"`,
		`page.url:"https://example.com/a?b=c&d=<e>"`, `page.url.keyword:"http://xn--e1awd7f.com/\"q\""`,
		`hash:"5f2b"`, `free text`, ``,
	} {
		for _, c := range []struct{ total, size int }{{0, 100}, {1, 100}, {10, 100}, {100, 100}, {100, 10}, {3, 1}} {
			body, _ := generateSearch(q, c.total, c.size)
			var ans searchAnswer
			if err := json.Unmarshal(body, &ans); err != nil {
				t.Fatalf("%q %v: generated answer is not JSON: %v", q, c, err)
			}
			answers = append(answers, ans)
		}
	}
	// Each escape on its own: one that needs it makes the whole string
	// encoding/json's, which would hide a second one.
	odd := []string{"", `"quoted"`, `back\slash`, "a<b", "a>b", "a&b", "tab\there", "nl\n", "\x00", "\x1f", "\x7f",
		"é", "\u2028", "\xff\xfe", "emoji 🙂", "/slash/", " ~"}
	for i, s := range odd {
		p := page{URL: s, Domain: s, IP: s, Country: s, Server: s, ASN: s, ASNName: s, PTR: s}
		answers = append(answers, searchAnswer{
			Results: []searchHit{{
				Task:  searchTask{Visibility: s, Method: s, Time: s, Source: s, URL: s},
				Stats: stats{UniqIPs: -i, ConsoleMsgs: i, DataLength: 1 << 40, EncodedDataLength: -1 << 40, Requests: i * 7},
				Page:  p, UniqCountries: i, ID: s, Result: s,
			}, {}},
			Total: -i, Took: i, HasMore: i%2 == 0,
		})
	}
	answers = append(answers, searchAnswer{}, searchAnswer{Results: []searchHit{}})
	for i, ans := range answers {
		want, err := json.Marshal(ans)
		if err != nil {
			t.Fatal(err)
		}
		if got := ans.marshal(); !bytes.Equal(got, want) {
			t.Fatalf("answer %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestGeneratedValuesUnchanged holds the generators of ids, addresses and
// domains to what they drew when they were written with fmt: the same
// queries must keep giving the same scans.
func TestGeneratedValuesUnchanged(t *testing.T) {
	words := []string{"login", "secure", "update", "cdn", "mail", "shop", "verify", "account", "static", "portal"}
	tlds := []string{"com", "net", "org", "io", "ml", "xyz"}
	for seed := range 200 {
		got, want := seeded("t"+strconv.Itoa(seed)), seeded("t"+strconv.Itoa(seed))
		if g := uuidFrom(got); g != refUUID(want) {
			t.Fatalf("seed %d: uuid %s", seed, g)
		}
		for range 5 {
			g := randomIP(got)
			var w string
			if want.IntN(5) == 0 {
				w = "" // the v6 branch draws through netip, unchanged
				_ = want.Uint64()
			} else {
				w = fmt.Sprintf("%d.%d.%d.%d", 1+want.IntN(222), want.IntN(256), want.IntN(256), 1+want.IntN(254))
			}
			if w != "" && g != w {
				t.Fatalf("seed %d: ip %s, want %s", seed, g, w)
			}
			if g, w := randomDomain(got), fmt.Sprintf("%s-%s%d.%s", words[want.IntN(len(words))], words[want.IntN(len(words))], want.IntN(1000), tlds[want.IntN(len(tlds))]); g != w {
				t.Fatalf("seed %d: domain %s, want %s", seed, g, w)
			}
		}
	}
}

func refUUID(r interface{ Uint64() uint64 }) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], r.Uint64())
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func BenchmarkGenerateSearch(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		generateSearch(`page.domain:"d`+strconv.Itoa(i)+`.example"`, 100, 100)
	}
}
