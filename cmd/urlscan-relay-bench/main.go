// Command urlscan-relay-bench measures the relay in the scenarios of the
// performance spec: it builds and starts the relay as a child process (so
// that its memory is its own), drives /observe/observables against a fake
// urlscan.io, and prints latency, throughput, peak RSS, CPU and upstream
// calls per request next to the bar, with the ratios to the floors. With
// -before it measures a second binary side by side, alternating rounds.
// With -soak it runs the fault soak instead: 8 clients against an upstream
// where one call in five fails.
//
// Run it from the module:
//
//	go run ./cmd/urlscan-relay-bench            # the benchmark
//	go run ./cmd/urlscan-relay-bench -before B  # side by side with binary B
//	go run ./cmd/urlscan-relay-bench -smoke     # a short check for CI
//	go run ./cmd/urlscan-relay-bench -soak      # the 60 s fault soak
//	go run ./cmd/urlscan-relay-bench -abuse     # the resource review's requests
//	go run ./cmd/urlscan-relay-bench -idle-conns 20000   # idle connections, then a valid request
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == idleClientCommand {
		n, err := strconv.Atoi(os.Args[3])
		if err == nil {
			err = idleClient(os.Args[2], n, os.Stdin, os.Stdout)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "urlscan-relay-bench idle-client:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if !errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "urlscan-relay-bench:", err)
		}
		os.Exit(1)
	}
}

// run is the whole program; main only adds the process. It returns an
// error when the run could not be made, or when what it measured is broken
// (or, outside -smoke, misses the bar).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseFlags(args, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	r, err := newRig(ctx, opts, getenv, stderr)
	if err != nil {
		return err
	}
	defer r.close()

	if opts.abuse {
		return runAbuse(ctx, r, stdout)
	}
	if opts.idleConns > 0 {
		rep, err := runIdleConns(ctx, r, opts.idleConns)
		if err != nil {
			return err
		}
		if err := printIdle(stdout, r, rep, opts.jsonOut); err != nil {
			return err
		}
		if len(rep.ProbeErrors) > 0 {
			return fmt.Errorf("the relay did not serve a valid request with %d idle connections open", opts.idleConns)
		}
		return nil
	}

	if opts.soak {
		rep, err := runSoak(ctx, r)
		if err != nil {
			return err
		}
		if err := printSoak(stdout, r, rep, opts.jsonOut); err != nil {
			return err
		}
		if failed := failedChecks(rep.Checks); len(failed) > 0 {
			return fmt.Errorf("soak failed: %v", failed)
		}
		return nil
	}

	f, err := measureFloor(ctx, r)
	if err != nil {
		return err
	}
	var (
		runs []roundRun
		sc   = &scenario{}
	)
	for round := 1; round <= opts.rounds; round++ {
		for _, b := range r.binaries() {
			phases, err := runStandard(ctx, r, sc, b.path)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", b.name, round, err)
			}
			rep, err := runReplica(ctx, r, b.path, replicaLabel(b.name, round))
			if err != nil {
				return fmt.Errorf("%s, round %d: replica: %w", b.name, round, err)
			}
			runs = append(runs, roundRun{Binary: b.name, Round: round, Phases: phases, Replica: rep})
		}
	}
	lines := compare(figures(opts, f), r.binaries(), runs)
	broken := brokenChecks(runs)
	bar := barChecks(lines)
	if err := printStandard(stdout, r, f, runs, lines, broken, bar, opts.jsonOut); err != nil {
		return err
	}
	if failed := failedChecks(broken); len(failed) > 0 {
		return fmt.Errorf("broken: %v", failed)
	}
	if failed := failedChecks(bar); len(failed) > 0 && !opts.smoke {
		return fmt.Errorf("bar missed: %v", failed)
	}
	return nil
}
