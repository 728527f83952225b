// Command urlscan-relay serves the Cisco SecureX Threat Response relay for
// urlscan.io, and looks observables up from the command line.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"urlscan-relay/internal/cache/rediscache"
)

// version is the relay's version; release builds may set it with
// -ldflags "-X main.version=X.Y.Z".
var version = "1.0.0"

func main() {
	// go-redis logs through a process-wide logger; route it into the JSON
	// log once, here, rather than from run, which tests call many times.
	redis.SetLogger(rediscache.GoRedisLogger{L: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
	// An observe answer mints about a hundred transient ids: draw their
	// randomness in batches rather than one read each.
	uuid.EnableRandPool()
	// The collector's settings are the process's too, set here for the
	// same reason.
	gc := collector(os.Args, os.Getenv)
	if gc.memoryLimit > 0 {
		debug.SetMemoryLimit(gc.memoryLimit)
	}
	if gc.gcPercent > 0 {
		debug.SetGCPercent(gc.gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if !errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "urlscan-relay:", err)
		}
		os.Exit(1)
	}
}

// usageError is a mistake on the command line, already explained to the user.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: urlscan-relay [command]

commands:
  serve                 serve the relay over HTTP (the default)
  demo                  serve the relay on loopback against a built-in fake
                        urlscan.io and token issuer, and print a token and
                        curl lines to try every endpoint with
  observe TYPE VALUE    look one observable up and print its CTIM data as JSON;
                        the urlscan.io API key comes from URLSCAN_API_KEY
  version               print the version

Configuration comes from the environment; see README.md.
`

// run is the whole program: main only adds the process (signals, exit code).
// ctx ends when the process is asked to stop.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", []string(nil)
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	switch cmd {
	case "serve":
		if len(rest) > 0 {
			return badUsage(stderr, "serve takes no arguments")
		}
		return serve(ctx, getenv, stdout, serveHooks{})
	case "demo":
		if len(rest) > 0 {
			return badUsage(stderr, "demo takes no arguments")
		}
		return demo(ctx, getenv, stdout, stderr)
	case "observe":
		if len(rest) != 2 {
			return badUsage(stderr, "observe takes TYPE and VALUE")
		}
		return observeCommand(ctx, getenv, rest[0], rest[1], stdout, stderr)
	case "version", "-version", "--version":
		_, err := fmt.Fprintln(stdout, version)
		return err
	case "help", "-h", "-help", "--help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	}
	return badUsage(stderr, "unknown command "+cmd)
}

func badUsage(stderr io.Writer, msg string) error {
	fmt.Fprintf(stderr, "urlscan-relay: %s\n\n%s", msg, usage)
	return usageError{msg}
}
