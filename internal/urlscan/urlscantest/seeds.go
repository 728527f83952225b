package urlscantest

// SeedFuzz adds fuzzSeeds to a fuzz target's corpus; f is the target's
// *testing.F, taken by its method so that this package, which the demo
// binary uses, does not import testing.
func SeedFuzz(f interface{ Add(args ...any) }) {
	for _, doc := range fuzzSeeds() {
		f.Add(doc)
	}
}

// fuzzSeeds are the seed documents of the fuzz targets that read urlscan
// answers: the recorded search, result and scan answers, and a few shapes
// that once needed care.
func fuzzSeeds() [][]byte {
	var seeds [][]byte
	for _, name := range []string{"search_ip_1.1.1.1.json", "result_13cde17f-a7f5-4e27-8a56-5e81bc086a37.json", "scan_response.json"} {
		seeds = append(seeds, mustFixture(name))
	}
	for _, s := range []string{
		`{}`, `[]`, `null`, `{"results":{}}`, `{"results":[{"_id":"a","stats":{"b":1,"a":2}}]}`,
		`{"task":{"time":"2020-01-01T00:00:00"},"verdicts":{"overall":{"malicious":true,"tags":{}}}}`,
		`{"data":{"requests":["\\\"",{"x":"]}"}]},"task":{}}`, `{"a":"\u00e9\ud800"}`, `{"a":1}{`, `{"a" : [ 1 , 2 ] } `,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}
