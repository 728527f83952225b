package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"urlscan-relay/internal/auth/authtest"
	"urlscan-relay/internal/config"
	"urlscan-relay/internal/urlscan/urlscantest"
)

const (
	// demoAPIKey is the urlscan.io key the demo's tokens carry and its fake
	// accepts; it opens nothing real.
	demoAPIKey = "demo-urlscan-key-not-a-real-one"
	// demoTokenLifetime is how long the printed token is valid.
	demoTokenLifetime = 12 * time.Hour
	// demoScanDuration is how long a scan the demo is asked for runs.
	demoScanDuration = 5 * time.Second
)

// demo serves the relay on loopback against a fake urlscan.io with a
// made-up data set and a token issuer of its own over TLS, and prints a
// token and a curl line for every endpoint. Everything else is configured
// as for serve. Logs go to stderr, so that stdout holds the instructions.
func demo(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	for name, set := range map[string]bool{"URLSCAN_API_URL": cfg.URLScanAPIURLSet, "JWKS_HOSTS": cfg.JWKSHostsSet} {
		if set {
			return fmt.Errorf("demo: %s is set; the demo serves its own fake urlscan.io and token issuer and talks to nothing else. Unset it, or use serve", name)
		}
	}
	now := time.Now()
	upstream := urlscantest.NewServer(urlscantest.Options{
		APIKey: demoAPIKey,
		Scans:  demoScans(now),
		Limits: demoLimits,
		// A scan submitted with /respond/trigger runs a few seconds, then
		// the relay's follow-up (first look after about 10 s) finds it.
		ScanDuration:   demoScanDuration,
		MaliciousScans: demoScanMalicious,
	})
	defer upstream.Close()
	issuer, err := authtest.NewIssuer()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer issuer.Close()

	expires := now.Add(demoTokenLifetime)
	return serve(ctx, getenv, stderr, serveHooks{
		demo:     true,
		host:     "127.0.0.1",
		trustPEM: issuer.CertPEM(),
		configure: func(c *config.Config) {
			c.URLScanAPIURL = upstream.URL
			c.JWKSHosts = []string{issuer.Host()}
			c.ShutdownDelay = 0 // no load balancer to wait for: Ctrl-C stops at once
			// One loopback listener serves everything, /metrics included,
			// as the instructions show.
			c.MetricsAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port))
		},
		listening: func(addr net.Addr) {
			port := addr.(*net.TCPAddr).Port
			token := issuer.Token(map[string]any{
				"key":                demoAPIKey,
				"aud":                demoAudiences(cfg, port),
				"exp":                expires.Unix(),
				"CTR_ENTITIES_LIMIT": 50,
			})
			root := "http://127.0.0.1:" + strconv.Itoa(port)
			printDemo(stdout, root, root+cfg.BasePath, token, expires)
		},
	})
}

// demoAudiences are the aud values of the demo's token: RELAY_AUDIENCE
// when set, else what the relay derives for curl on loopback.
func demoAudiences(cfg config.Config, port int) []string {
	if len(cfg.RelayAudience) > 0 {
		return cfg.RelayAudience
	}
	p := strconv.Itoa(port)
	return []string{"http://127.0.0.1:" + p + cfg.BasePath, "http://localhost:" + p + cfg.BasePath}
}

// printDemo prints what to do next: the token, the observables the data
// set knows, and a curl line for every endpoint.
// Probes and metrics are at root whatever BASE_PATH is.
func printDemo(w io.Writer, root, base, token string, expires time.Time) {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	post := func(path, body string) {
		line("curl -s -X POST %s%s -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -d '%s'", base, path, body)
	}
	line("")
	line("=== urlscan-relay DEMO ===")
	line("This relay answers from a built-in fake urlscan.io with made-up data, and accepts")
	line("only tokens of its built-in issuer. Everything runs on loopback; nothing leaves")
	line("this machine. It is not a production relay: for that, see `serve` in README.md.")
	line("")
	line("1. Set the token (valid for %s, until %s):", demoTokenLifetime, expires.UTC().Format(time.RFC3339))
	line("")
	line("export TOKEN=%s", token)
	line("")
	line("2. Observables the data set knows:")
	line("")
	for _, o := range demoObservables {
		line("   %-8s %-66s %s", o.Type, o.Value, o.Story)
	}
	line("   anything else: no scans")
	line("")
	line("3. Try every endpoint:")
	line("")
	post("/health", "")
	post("/observe/observables", `[{"type":"domain","value":"`+demoPhishDomain+`"},{"type":"sha256","value":"`+demoScriptHash+`"}]`)
	post("/deliberate/observables", `[{"type":"ip","value":"`+demoPhishIP+`"},{"type":"domain","value":"`+demoShopDomain+`"}]`)
	post("/refer/observables", `[{"type":"url","value":"`+demoPhishURL+`"}]`)
	post("/respond/observables", `[{"type":"url","value":"`+demoScanURL+`"}]`)
	post("/respond/trigger", `{"action-id":"urlscan-scan-private","observable_type":"url","observable_value":"`+demoScanURL+`","visibility":"private"}`)
	line("curl -s -X POST %s/tiles -H \"Authorization: Bearer $TOKEN\"", base)
	post("/tiles/tile", `{"tile_id":"urlscan-quota"}`)
	post("/tiles/tile-data", `{"tile_id":"urlscan-quota","period":"last_24_hours"}`)
	post("/tiles/tile-data", `{"tile_id":"urlscan-recent-scans","period":"last_hour"}`)
	line("curl -s -X POST %s/version", base)
	line("curl -s %s/watchdog -H 'Health-Check: ping'", base)
	line("curl -s %s/", base)
	line("curl -s %s/healthz", root)
	line("curl -s %s/readyz", root)
	line("curl -s %s/metrics", root)
	line("")
	line("Add | jq for readable answers. Stop the demo with Ctrl-C.")
	_, _ = io.WriteString(w, b.String())
}
