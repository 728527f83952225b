package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"time"
)

// usageError is a command-line mistake, already explained on stderr.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// options are the command-line flags.
type options struct {
	relayBin       string        // a relay binary to run instead of building one
	beforeBin      string        // a relay binary to measure side by side with it
	rounds         int           // rounds of every phase, alternating the binaries
	wideClients    int           // clients of the widest cold phase
	replicaBodies  int           // distinct requests of the replica scenario
	decoderMBps    float64       // the decoder's speed; 0 runs its benchmark
	clients        int           // clients of the concurrent phases and the soak
	requests       int           // requests of the 1-client cold phase
	duration       time.Duration // length of each concurrent phase, or of the soak
	latency        time.Duration // the fake's delay on every answer
	hits           int           // hits per search
	docKiB         int           // size of a result document
	jsonOut        bool
	smoke          bool
	soak           bool
	abuse          bool
	failEvery      int            // soak: one upstream call in failEvery fails
	urlscanTimeout time.Duration  // soak: the relay's URLSCAN_TIMEOUT
	idleConns      int            // >0: the idle-connection scenario with this many connections
	phases         *regexp.Regexp // the phases to run, by name (nil: all); "replica" names the replica scenario
}

// Defaults of the standard scenario, of the CI smoke and of the soak.
const (
	standardRequests  = 200
	standardDuration  = 20 * time.Second
	smokeRequests     = 20
	smokeDuration     = 2 * time.Second
	smokeDocKiB       = 32
	wideClients       = 256
	replicaBodies     = 1000
	smokeReplica      = 40
	smokeWide         = 32
	soakDuration      = 60 * time.Second
	smokeSoakDuration = 5 * time.Second
)

// errHelp is a request for the usage (-h), which is printed on stdout and
// is no failure.
var errHelp = errors.New("help requested")

// parseFlags reads the command line. The usage goes to stdout when asked
// for with -h, to stderr after a mistake.
func parseFlags(args []string, stdout, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("urlscan-relay-bench", flag.ContinueOnError)
	var msgs bytes.Buffer
	fs.SetOutput(&msgs)
	fs.StringVar(&o.relayBin, "relay", "", "relay binary to run (default: go build ./cmd/urlscan-relay into a temporary directory)")
	fs.StringVar(&o.beforeBin, "before", "", "a second relay binary (say, built from an earlier commit) to measure side by side: phases alternate between the two, and the report gives after/before ratios")
	fs.IntVar(&o.rounds, "rounds", 0, "rounds of the phases (default 1; 3 with -before)")
	fs.IntVar(&o.wideClients, "wide-clients", 0, fmt.Sprintf("clients of the widest cold phase, the concurrency scenario (default %d; -smoke %d)", wideClients, smokeWide))
	fs.IntVar(&o.replicaBodies, "replica-bodies", 0, fmt.Sprintf("distinct requests the replica scenario serves from Redis, then from memory (default %d; -smoke %d)", replicaBodies, smokeReplica))
	fs.Float64Var(&o.decoderMBps, "decoder-mbps", 0, "the result decoder's speed in MB/s for the scanner floor (default: run BenchmarkDecodeResult)")
	fs.IntVar(&o.clients, "clients", 8, "concurrent clients of the 8-client phases and of the soak")
	fs.IntVar(&o.requests, "requests", 0, fmt.Sprintf("requests of the cold 1-client phase (default %d; -smoke %d)", standardRequests, smokeRequests))
	fs.DurationVar(&o.duration, "duration", 0, fmt.Sprintf("length of each concurrent phase (default %s; -smoke %s), or of the soak (default %s; -smoke %s)", standardDuration, smokeDuration, soakDuration, smokeSoakDuration))
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "fake urlscan.io delay on every answer")
	fs.IntVar(&o.hits, "hits", 10, "hits per search")
	fs.IntVar(&o.docKiB, "doc-kib", 0, fmt.Sprintf("result document size in KiB (default 300; -smoke %d)", smokeDocKiB))
	fs.BoolVar(&o.jsonOut, "json", false, "print the figures as JSON")
	fs.BoolVar(&o.smoke, "smoke", false, "a short run for CI, small documents: fails only when something is broken, never on performance (with -soak: a short soak)")
	fs.BoolVar(&o.abuse, "abuse", false, "run the resource review's scenarios instead: a 200 x 1000-hit observe, a 500-domain refer, 1000 abandoned requests, 8 concurrent 30 MiB search answers")
	fs.BoolVar(&o.soak, "soak", false, "run the fault soak instead of the standard benchmark")
	fs.IntVar(&o.failEvery, "fail-every", 5, "soak: one upstream call in this many fails")
	fs.DurationVar(&o.urlscanTimeout, "urlscan-timeout", time.Second, "soak: the relay's URLSCAN_TIMEOUT (timeout faults wait longer)")
	fs.Func("phases", "run only the phases whose names match this regular expression (say '^cold-8$' to profile one; 'replica' selects the replica scenario); the figures of the others are left out", func(v string) error {
		re, err := regexp.Compile(v)
		o.phases = re
		return err
	})
	fs.IntVar(&o.idleConns, "idle-conns", 0, "run the idle-connection scenario instead: this many idle keep-alive connections (say 20000), then a valid POST /health")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, werr := io.Copy(stdout, &msgs)
			if werr != nil {
				return options{}, werr
			}
			return options{}, errHelp
		}
		_, _ = io.Copy(stderr, &msgs)
		return options{}, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return options{}, usageError{"unexpected arguments"}
	}
	o.defaults()
	if o.clients < 1 || o.requests < 1 || o.duration <= 0 || o.hits < 1 || o.docKiB < 1 || o.failEvery < 2 ||
		o.rounds < 1 || o.wideClients < 1 || o.replicaBodies < 1 || o.decoderMBps < 0 {
		const msg = "-clients, -requests, -duration, -hits, -doc-kib, -rounds, -wide-clients, -replica-bodies must be positive and -fail-every at least 2"
		fmt.Fprintln(stderr, msg)
		return options{}, usageError{msg}
	}
	return o, nil
}

// selected reports whether the phase (or scenario) of this name runs.
func (o options) selected(name string) bool { return o.phases == nil || o.phases.MatchString(name) }

// defaults fills what the flags left at zero, by mode.
func (o *options) defaults() {
	switch {
	case o.duration != 0:
	case o.soak && o.smoke:
		o.duration = smokeSoakDuration
	case o.soak:
		o.duration = soakDuration
	case o.smoke:
		o.duration = smokeDuration
	default:
		o.duration = standardDuration
	}
	if o.requests == 0 {
		o.requests = standardRequests
		if o.smoke {
			o.requests = smokeRequests
		}
	}
	if o.rounds == 0 {
		o.rounds = 1
		if o.beforeBin != "" {
			o.rounds = 3
		}
	}
	if o.wideClients == 0 {
		o.wideClients = wideClients
		if o.smoke {
			o.wideClients = smokeWide
		}
	}
	if o.replicaBodies == 0 {
		o.replicaBodies = replicaBodies
		if o.smoke {
			o.replicaBodies = smokeReplica
		}
	}
	if o.docKiB == 0 {
		o.docKiB = 300
		if o.smoke {
			o.docKiB = smokeDocKiB
		}
	}
}
