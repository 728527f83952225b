package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"urlscan-relay/internal/config"
	"urlscan-relay/internal/ctim"
	"urlscan-relay/internal/relay"
	"urlscan-relay/internal/relay/assemble"
	"urlscan-relay/internal/tr"
)

// observeCommand runs `urlscan-relay observe TYPE VALUE`: it looks one
// observable up, as POST /observe/observables would, and prints the CTIM
// data as indented JSON. The first error an analyst would see in SecureX
// fails the command with that message; why each call failed (DNS, TLS, a
// refused connection, an HTTP status) goes to stderr first.
func observeCommand(ctx context.Context, getenv func(string) string, typ, value string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	key := cfg.URLScanAPIKey
	if key == "" {
		return errors.New("URLSCAN_API_KEY: set it to a urlscan.io API key")
	}
	obs := relay.Normalize([]ctim.Observable{{Type: typ, Value: value}})
	if len(obs) == 0 {
		return errors.New("unsupported observable type " + typ + " (" + strings.Join(relay.SupportedTypes(), ", ") + ")")
	}
	roots, err := rootCAs(cfg)
	if err != nil {
		return err
	}
	rel, err := assemble.New(ctx, cfg, assemble.Options{Version: version, RootCAs: roots})
	if err != nil {
		return err
	}
	defer rel.Close()
	ctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	defer cancel()
	data, errs := rel.Service.Observe(ctx, key, obs, cfg.EntitiesLimit(0))
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(data); err != nil {
		return err
	}
	if len(errs) > 0 {
		seen := map[string]bool{}
		for _, e := range errs {
			if cause := failureCause(e); cause != "" && !seen[cause] {
				seen[cause] = true
				fmt.Fprintln(stderr, "urlscan-relay: urlscan.io call failed:", cause)
			}
		}
		te := tr.From(errs[0])
		return errors.New(string(te.Code) + ": " + te.Message)
	}
	return nil
}
