package config

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	got, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load(empty) error: %v", err)
	}
	want := Default()
	if got.Port != 9090 || got.URLScanAPIURL != "https://urlscan.io/api/v1" || got.URLScanUIURL != "https://urlscan.io" {
		t.Errorf("Load(empty) = %+v, want the defaults of README's configuration table", got)
	}
	if !slices.Equal(got.JWKSHosts, want.JWKSHosts) || len(got.JWKSHosts) != 3 {
		t.Errorf("JWKSHosts = %v, want %v", got.JWKSHosts, want.JWKSHosts)
	}
	if !slices.Equal(got.ScanVisibilities, []string{"private", "unlisted", "public"}) {
		t.Errorf("ScanVisibilities = %v", got.ScanVisibilities)
	}
	if got.ResultsPerObservable != 10 || got.ResultsPerRequest != 100 {
		t.Errorf("result budget = %d per observable, %d per request; want 10 and 100", got.ResultsPerObservable, got.ResultsPerRequest)
	}
	if got.MaxBodyBytes != 1048576 || got.MaxObservables != 500 || got.EntitiesLimitMax != 1000 {
		t.Errorf("limits = %d %d %d", got.MaxBodyBytes, got.MaxObservables, got.EntitiesLimitMax)
	}
	if got.RequestTimeout != 25*time.Second || got.URLScanTimeout != 10*time.Second {
		t.Errorf("timeouts = %s %s", got.RequestTimeout, got.URLScanTimeout)
	}
	if got.LogLevel != slog.LevelInfo || got.GoMemLimitSet || got.GoMemLimitOff || got.GoGCSet || got.URLScanAPIKey != "" || got.LogFormat != "json" || got.TrustProxyHeaders || got.ShareResults || got.RelayAudience != nil {
		t.Errorf("misc = %+v", got)
	}
	if got.ShutdownDelay != 5*time.Second || got.ShutdownTimeout != 15*time.Second {
		t.Errorf("shutdown = %s %s, want 5s 15s", got.ShutdownDelay, got.ShutdownTimeout)
	}
	// The drain must fit Kubernetes' default grace period of 30 s.
	if total := got.ShutdownDelay + got.ShutdownTimeout; total >= 30*time.Second {
		t.Errorf("SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT = %s, want under 30s", total)
	}
}

func TestLoadValues(t *testing.T) {
	got, err := Load(env(map[string]string{
		"PORT":                       "8080",
		"URLSCAN_API_URL":            "http://127.0.0.1:1234/api/v1/",
		"URLSCAN_UI_URL":             "https://ui.example/",
		"JWKS_HOSTS":                 " Visibility.AMP.cisco.com. , 127.0.0.1:8443 ",
		"RELAY_AUDIENCE":             "https://relay.example.com/,https://other.example",
		"TRUST_PROXY_HEADERS":        "true",
		"SCAN_VISIBILITIES":          "Public,private,public",
		"ENTITIES_LIMIT_MAX":         "50",
		"RESULTS_PER_OBSERVABLE":     "0",
		"RESULTS_PER_REQUEST":        "7",
		"MAX_BODY_BYTES":             "2048",
		"MAX_OBSERVABLES":            "7",
		"REQUEST_TIMEOUT":            "30",
		"URLSCAN_TIMEOUT":            "1500ms",
		"LOG_LEVEL":                  "DEBUG",
		"LOG_FORMAT":                 "text",
		"CACHE_MAX_MB":               "0",
		"SEARCH_CACHE_TTL":           "0",
		"RESULT_CACHE_TTL":           "1h",
		"SHARE_RESULTS_BETWEEN_KEYS": "true",
		"REDIS_URL":                  "redis://127.0.0.1:6379/0",
		"REDIS_TIMEOUT":              "250ms",
		"SHUTDOWN_DELAY":             "0",
		"SHUTDOWN_TIMEOUT":           "2s",
		"CONFIGURATION_TOKEN_KEY":    " a key of thirty-two bytes or more ",
		"BASE_PATH":                  "/integrations/urlscanio/",
		"URLSCAN_API_KEY":            " cli-key ",
		"GOMEMLIMIT":                 "512MiB",
		"GOGC":                       "200",
		"MAX_CONNECTIONS":            "300",
		"IDLE_TIMEOUT":               "45s",
		"METRICS_ADDR":               "127.0.0.1:9100",
		"SCAN_ALLOW_PRIVATE":         "true",
	}))
	if err != nil {
		t.Fatalf("Load error: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Port", got.Port, 8080},
		{"URLScanAPIURL", got.URLScanAPIURL, "http://127.0.0.1:1234/api/v1"},
		{"URLScanUIURL", got.URLScanUIURL, "https://ui.example"},
		{"JWKSHosts", strings.Join(got.JWKSHosts, ","), "Visibility.AMP.cisco.com.,127.0.0.1:8443"}, // auth.New normalises
		{"RelayAudience", strings.Join(got.RelayAudience, ","), "https://relay.example.com,https://other.example"},
		{"TrustProxyHeaders", got.TrustProxyHeaders, true},
		{"ScanVisibilities", strings.Join(got.ScanVisibilities, ","), "public,private"},
		{"EntitiesLimitMax", got.EntitiesLimitMax, 50},
		{"ResultsPerObservable", got.ResultsPerObservable, 0},
		{"ResultsPerRequest", got.ResultsPerRequest, 7},
		{"MaxBodyBytes", got.MaxBodyBytes, int64(2048)},
		{"MaxObservables", got.MaxObservables, 7},
		{"RequestTimeout", got.RequestTimeout, 30 * time.Second},
		{"URLScanTimeout", got.URLScanTimeout, 1500 * time.Millisecond},
		{"LogLevel", got.LogLevel, slog.LevelDebug},
		{"LogFormat", got.LogFormat, "text"},
		{"CacheMaxMB", got.CacheMaxMB, 0},
		{"SearchCacheTTL", got.SearchCacheTTL, time.Duration(0)},
		{"ResultCacheTTL", got.ResultCacheTTL, time.Hour},
		{"ShareResults", got.ShareResults, true},
		{"RedisURL", got.RedisURL, "redis://127.0.0.1:6379/0"},
		{"RedisTimeout", got.RedisTimeout, 250 * time.Millisecond},
		{"ShutdownDelay", got.ShutdownDelay, time.Duration(0)},
		{"ShutdownTimeout", got.ShutdownTimeout, 2 * time.Second},
		{"ConfigurationTokenKey", got.ConfigurationTokenKey, " a key of thirty-two bytes or more "},
		{"BasePath", got.BasePath, "/integrations/urlscanio"},
		{"URLScanAPIKey", got.URLScanAPIKey, " cli-key "},
		{"GoMemLimitSet", got.GoMemLimitSet, true},
		{"GoGCSet", got.GoGCSet, true},
		{"GoMemLimitOff", got.GoMemLimitOff, false},
		{"URLScanAPIURLSet", got.URLScanAPIURLSet, true},
		{"JWKSHostsSet", got.JWKSHostsSet, true},
		{"MaxConnections", got.MaxConnections, 300},
		{"IdleTimeout", got.IdleTimeout, 45 * time.Second},
		{"MetricsAddr", got.MetricsAddr, "127.0.0.1:9100"},
		{"MetricsOnMain", got.MetricsOnMain(), false},
		{"ScanAllowPrivate", got.ScanAllowPrivate, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"PORT", "-1"},
		{"PORT", "http"},
		{"PORT", "70000"},
		{"URLSCAN_API_URL", "ftp://urlscan.io"},
		{"URLSCAN_API_URL", "https://user:pass@urlscan.io"},
		{"URLSCAN_UI_URL", "not a url"},
		{"JWKS_HOSTS", ","},
		{"RELAY_AUDIENCE", "relay.example.com"},
		{"TRUST_PROXY_HEADERS", "maybe"},
		{"SHARE_RESULTS_BETWEEN_KEYS", "yes please"},
		{"SCAN_VISIBILITIES", "secret"},
		{"SCAN_VISIBILITIES", ","},
		{"ENTITIES_LIMIT_MAX", "-1"},
		{"RESULTS_PER_OBSERVABLE", "-1"},
		{"RESULTS_PER_OBSERVABLE", "ten"},
		{"RESULTS_PER_REQUEST", "-3"},
		{"MAX_BODY_BYTES", "10"},
		{"MAX_OBSERVABLES", "0"},
		{"REQUEST_TIMEOUT", "soon"},
		{"REQUEST_TIMEOUT", "0s"},
		{"URLSCAN_TIMEOUT", "1ms"},
		{"LOG_LEVEL", "loud"},
		{"LOG_FORMAT", "xml"},
		{"CACHE_MAX_MB", "-5"},
		{"SEARCH_CACHE_TTL", "-1s"},
		{"REDIS_URL", "http://user:hunter2@redis"},
		{"REDIS_TIMEOUT", "0s"},
		{"REDIS_TIMEOUT", "2m"},
		{"SHUTDOWN_DELAY", "-1s"},
		{"SHUTDOWN_DELAY", "2h"},
		{"SHUTDOWN_TIMEOUT", "forever"},
		{"BASE_PATH", "integrations/urlscanio"},
		{"BASE_PATH", "/a//b"},
		{"BASE_PATH", "/a/../b"},
		{"BASE_PATH", "/a/./b"},
		{"BASE_PATH", "/a b"},
		{"BASE_PATH", "/a?b=c"},
		{"BASE_PATH", "/a%2Fb"},
		{"BASE_PATH", "/a#b"},
		{"BASE_PATH", "https://relay.example/x"},
		{"BASE_PATH", "/healthz"},
		{"BASE_PATH", "/metrics/relay"},
		{"BASE_PATH", "/readyz/"},
		{"MAX_CONNECTIONS", "-1"},
		{"IDLE_TIMEOUT", "0"},
		{"METRICS_ADDR", "9091"},
		{"METRICS_ADDR", ":http"},
		{"METRICS_ADDR", ":70000"},
		{"SCAN_ALLOW_PRIVATE", "sometimes"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) { refused(t, tt.name, tt.value) })
	}
}

// refused holds that Load refuses name=value with an error that names the
// variable and never quotes the secret "hunter2" the bad values hold.
func refused(t *testing.T, name, value string) {
	t.Helper()
	_, err := Load(env(map[string]string{name: value}))
	if err == nil {
		t.Fatalf("Load(%s=%q) succeeded, want an error", name, value)
	}
	if !strings.HasPrefix(err.Error(), name+":") {
		t.Errorf("error %q does not name %s", err, name)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q echoes a secret", err)
	}
}

// Start-up errors say what is wrong with a URL without quoting it: its
// userinfo, query or path may hold a password or a token, and start-up
// errors end up in logs and crash reports.
func TestLoadRejectsURLsWithoutQuotingThem(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"URLSCAN_API_URL", "https://user:hunter2@urlscan.io/api/v1"},
		{"URLSCAN_API_URL", "https://urlscan.io/api/v1?token=hunter2"},
		{"URLSCAN_API_URL", "https://urlscan.io/api/v1#hunter2"},
		{"URLSCAN_API_URL", "ftp://user:hunter2@urlscan.io"},
		{"URLSCAN_API_URL", "https://user:hunter2@[::1"},
		{"URLSCAN_UI_URL", "https://urlscan.io/?session=hunter2"},
		{"RELAY_AUDIENCE", "https://relay.example.com,https://user:hunter2@relay.example.com"},
		{"RELAY_AUDIENCE", "https://relay.example.com?key=hunter2"},
		{"RELAY_AUDIENCE", "relay.example.com/hunter2"},
		{"REDIS_URL", "redis://:hunter2@[::1"},
		{"REDIS_URL", "tcp://user:hunter2@redis:6379"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { refused(t, tt.name, tt.value) })
	}
}

// METRICS_ADDR on PORT's port keeps /metrics on the main listener.
func TestMetricsOnMain(t *testing.T) {
	tests := []struct {
		port, addr string
		want       bool
	}{
		{"", "", false},
		{"9091", "", true},
		{"8080", ":8080", true},
		{"8080", "127.0.0.1:8080", true},
		{"8080", "[::1]:9091", false},
		{"0", ":0", true},
	}
	for _, tt := range tests {
		c, err := Load(env(map[string]string{"PORT": tt.port, "METRICS_ADDR": tt.addr}))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.MetricsOnMain(); got != tt.want {
			t.Errorf("PORT=%q METRICS_ADDR=%q: MetricsOnMain = %v, want %v", tt.port, tt.addr, got, tt.want)
		}
	}
}

func TestLoadTimeoutOrder(t *testing.T) {
	_, err := Load(env(map[string]string{"REQUEST_TIMEOUT": "5s", "URLSCAN_TIMEOUT": "10s"}))
	if err == nil || !strings.Contains(err.Error(), "URLSCAN_TIMEOUT") {
		t.Errorf("URLSCAN_TIMEOUT > REQUEST_TIMEOUT: error %v, want one naming URLSCAN_TIMEOUT", err)
	}
}

func TestEntitiesLimit(t *testing.T) {
	c := Default()
	tests := []struct{ in, want int }{
		{0, 100}, {-3, 100}, {1, 1}, {50, 50}, {1000, 1000}, {1001, 1000}, {1 << 30, 1000},
	}
	for _, tt := range tests {
		if got := c.EntitiesLimit(tt.in); got != tt.want {
			t.Errorf("EntitiesLimit(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
	c.EntitiesLimitMax = 10
	if got := c.EntitiesLimit(0); got != 10 {
		t.Errorf("EntitiesLimit(0) with max 10 = %d, want 10", got)
	}
}

func TestLoadBasePath(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"/":                        "",
		"///":                      "",
		"/x":                       "/x",
		"/integrations/urlscanio":  "/integrations/urlscanio",
		"/integrations/urlscanio/": "/integrations/urlscanio",
		"/v1.2/relay_x~y-z":        "/v1.2/relay_x~y-z",
		"/healthzz":                "/healthzz",
		"/api/metrics":             "/api/metrics",
	} {
		got, err := Load(env(map[string]string{"BASE_PATH": in}))
		if err != nil || got.BasePath != want {
			t.Errorf("BASE_PATH=%q: %q, %v; want %q", in, got.BasePath, err, want)
		}
	}
}
