// Package config loads the relay's configuration from the environment
// (PROTOCOL.md §7) once, at start-up, through an injected getenv, and refuses
// bad values with a message naming the variable.
package config

import (
	"errors"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultEntitiesLimit is the sightings and judgements per observable when
// the token carries no usable CTR_ENTITIES_LIMIT (PROTOCOL.md §3, step 8),
// and when a caller of the relay asks for no positive limit.
const DefaultEntitiesLimit = 100

// Config is everything the relay can be told at start-up.
type Config struct {
	Port              int           // PORT; 0 picks a free port
	URLScanAPIURL     string        // URLSCAN_API_URL, without a trailing slash
	URLScanUIURL      string        // URLSCAN_UI_URL, without a trailing slash
	JWKSHosts         []string      // JWKS_HOSTS
	RelayAudience     []string      // RELAY_AUDIENCE; empty: derive from the request
	BasePath          string        // BASE_PATH: "" or "/a/b", the prefix of every relay endpoint
	TrustProxyHeaders bool          // TRUST_PROXY_HEADERS
	ScanVisibilities  []string      // SCAN_VISIBILITIES, in order
	ScanTags          []string      // SCAN_TAGS: sent with every submission
	ScanCountry       string        // SCAN_COUNTRY: where urlscan.io scans from; empty: urlscan's choice
	ScanDeny          []string      // SCAN_DENY: domains (and their subdomains) never submitted
	ScanWait          time.Duration // SCAN_WAIT: how long a submitted scan is followed; 0: not at all
	EntitiesLimitMax  int           // ENTITIES_LIMIT_MAX
	MaxBodyBytes      int64         // MAX_BODY_BYTES
	MaxObservables    int           // MAX_OBSERVABLES
	RequestTimeout    time.Duration // REQUEST_TIMEOUT
	URLScanTimeout    time.Duration // URLSCAN_TIMEOUT
	LogLevel          slog.Level    // LOG_LEVEL: debug, info, warn, error
	LogFormat         string        // LOG_FORMAT: json, text
	SSLCertFile       string        // SSL_CERT_FILE: extra trusted CAs (PEM)
	SSLCertDir        string        // SSL_CERT_DIR: directories of extra trusted CAs, colon-separated
	CacheMaxMB        int           // CACHE_MAX_MB: memory for the search and result caches
	SearchCacheTTL    time.Duration // SEARCH_CACHE_TTL; 0 disables
	ResultCacheTTL    time.Duration // RESULT_CACHE_TTL; 0 disables
	ShareResults      bool          // SHARE_RESULTS_BETWEEN_KEYS: one result cache entry per scan for every key
	RedisURL          string        // REDIS_URL; empty: caches stay in memory
	RedisTimeout      time.Duration // REDIS_TIMEOUT: one Redis command; past it the lookup goes on without Redis
	ShutdownDelay     time.Duration // SHUTDOWN_DELAY: serve on, /readyz failing, before draining
	ShutdownTimeout   time.Duration // SHUTDOWN_TIMEOUT: the most in-flight requests get to finish
	// GoMemLimitSet says GOMEMLIMIT is set: the Go runtime applies it, and
	// the relay sets no soft memory limit of its own.
	GoMemLimitSet bool
	// GoMemLimitOff says GOMEMLIMIT=off: no memory limit holds the heap.
	GoMemLimitOff bool
	// GoGCSet says GOGC is set: the relay then leaves the collector's
	// pace to it.
	GoGCSet bool
	// URLScanAPIURLSet and JWKSHostsSet say URLSCAN_API_URL and JWKS_HOSTS
	// are set, which the demo refuses: it must never look like, or talk
	// to, a production relay's upstreams.
	URLScanAPIURLSet, JWKSHostsSet bool

	MaxConnections   int           // MAX_CONNECTIONS: client connections held open; 0: fitted to the file limit
	IdleTimeout      time.Duration // IDLE_TIMEOUT: how long a keep-alive connection may wait for its next request
	MetricsAddr      string        // METRICS_ADDR: host:port of /metrics; PORT's port: the main listener
	ScanAllowPrivate bool          // SCAN_ALLOW_PRIVATE: /respond/trigger may submit loopback, link-local and private targets

	// ConfigurationTokenKey (CONFIGURATION_TOKEN_KEY) is the shared key
	// HS256 configuration tokens are verified with, exactly as set; empty:
	// HS256 is refused. A secret: never log it.
	ConfigurationTokenKey string
	// URLScanAPIKey (URLSCAN_API_KEY) is the urlscan.io key of the observe
	// command; the relay itself takes each request's key from its token. A
	// secret: never log it.
	URLScanAPIKey string

	// ResultsPerObservable is how many of an observable's newest hits get
	// their result document fetched (RESULTS_PER_OBSERVABLE); 0: every
	// hit's, and ResultsPerRequest does not apply.
	ResultsPerObservable int
	ResultsPerRequest    int // RESULTS_PER_REQUEST: result documents fetched per request; 0: no bound
}

// Default returns the configuration of an empty environment.
func Default() Config {
	return Config{
		Port:             9090,
		URLScanAPIURL:    "https://urlscan.io/api/v1",
		URLScanUIURL:     "https://urlscan.io",
		JWKSHosts:        []string{"visibility.amp.cisco.com", "visibility.eu.amp.cisco.com", "visibility.apjc.amp.cisco.com"},
		ScanVisibilities: []string{"private", "unlisted", "public"},
		ScanTags:         []string{"xdr"},
		ScanWait:         2 * time.Minute,
		EntitiesLimitMax: 1000,
		MaxBodyBytes:     1 << 20,
		MaxObservables:   500,
		RequestTimeout:   25 * time.Second,
		URLScanTimeout:   10 * time.Second,
		LogLevel:         slog.LevelInfo,
		LogFormat:        "json",
		CacheMaxMB:       16,
		SearchCacheTTL:   5 * time.Minute,
		ResultCacheTTL:   24 * time.Hour,
		// A Redis on the same network answers in about a millisecond; past
		// this a lookup is cheaper to miss than to wait for.
		RedisTimeout: 100 * time.Millisecond,
		// Kubernetes signals a pod while load balancers still route new
		// connections to it; a few seconds of serving on lets them catch up,
		// and 5 s + 15 s still fits the default 30 s grace period.
		ShutdownDelay:   5 * time.Second,
		ShutdownTimeout: 15 * time.Second,
		IdleTimeout:     30 * time.Second,
		MetricsAddr:     ":9091",

		// A free urlscan.io account retrieves on the order of a hundred
		// results a minute: one request of popular observables must not
		// spend them all.
		ResultsPerObservable: 10,
		ResultsPerRequest:    100,
	}
}

// Load reads the configuration through getenv. Unset or empty variables
// keep their defaults; the first bad value is an error naming its variable.
func Load(getenv func(string) string) (Config, error) {
	c := Default()
	p := parser{getenv: getenv}
	p.integer("PORT", &c.Port, 0, 65535)
	p.baseURL("URLSCAN_API_URL", &c.URLScanAPIURL)
	p.baseURL("URLSCAN_UI_URL", &c.URLScanUIURL)
	p.hosts("JWKS_HOSTS", &c.JWKSHosts)
	p.secret("CONFIGURATION_TOKEN_KEY", &c.ConfigurationTokenKey)
	p.secret("URLSCAN_API_KEY", &c.URLScanAPIKey)
	p.audiences("RELAY_AUDIENCE", &c.RelayAudience)
	p.basePath("BASE_PATH", &c.BasePath)
	p.boolean("TRUST_PROXY_HEADERS", &c.TrustProxyHeaders)
	p.visibilities("SCAN_VISIBILITIES", &c.ScanVisibilities)
	p.scanTags("SCAN_TAGS", &c.ScanTags)
	p.country("SCAN_COUNTRY", &c.ScanCountry)
	p.domains("SCAN_DENY", &c.ScanDeny)
	p.duration("SCAN_WAIT", &c.ScanWait, 0, time.Hour)
	p.integer("ENTITIES_LIMIT_MAX", &c.EntitiesLimitMax, 1, 100000)
	p.integer("RESULTS_PER_OBSERVABLE", &c.ResultsPerObservable, 0, 100000)
	p.integer("RESULTS_PER_REQUEST", &c.ResultsPerRequest, 0, 1000000)
	p.int64("MAX_BODY_BYTES", &c.MaxBodyBytes, 1024, 1<<30)
	p.integer("MAX_OBSERVABLES", &c.MaxObservables, 1, 100000)
	p.duration("REQUEST_TIMEOUT", &c.RequestTimeout, time.Second, time.Hour)
	p.duration("URLSCAN_TIMEOUT", &c.URLScanTimeout, 100*time.Millisecond, time.Hour)
	p.level("LOG_LEVEL", &c.LogLevel)
	p.oneOf("LOG_FORMAT", &c.LogFormat, "json", "text")
	p.str("SSL_CERT_FILE", &c.SSLCertFile)
	p.str("SSL_CERT_DIR", &c.SSLCertDir)
	p.integer("CACHE_MAX_MB", &c.CacheMaxMB, 0, 1<<20)
	p.duration("SEARCH_CACHE_TTL", &c.SearchCacheTTL, 0, 30*24*time.Hour)
	p.duration("RESULT_CACHE_TTL", &c.ResultCacheTTL, 0, 30*24*time.Hour)
	p.boolean("SHARE_RESULTS_BETWEEN_KEYS", &c.ShareResults)
	p.redisURL("REDIS_URL", &c.RedisURL)
	p.duration("REDIS_TIMEOUT", &c.RedisTimeout, time.Millisecond, time.Minute)
	p.duration("SHUTDOWN_DELAY", &c.ShutdownDelay, 0, time.Hour)
	p.duration("SHUTDOWN_TIMEOUT", &c.ShutdownTimeout, 0, time.Hour)
	p.present("GOMEMLIMIT", &c.GoMemLimitSet)
	p.is("GOMEMLIMIT", "off", &c.GoMemLimitOff)
	p.present("GOGC", &c.GoGCSet)
	p.present("URLSCAN_API_URL", &c.URLScanAPIURLSet)
	p.present("JWKS_HOSTS", &c.JWKSHostsSet)
	p.integer("MAX_CONNECTIONS", &c.MaxConnections, 0, 1<<20)
	p.duration("IDLE_TIMEOUT", &c.IdleTimeout, time.Second, time.Hour)
	p.listenAddr("METRICS_ADDR", &c.MetricsAddr)
	p.boolean("SCAN_ALLOW_PRIVATE", &c.ScanAllowPrivate)
	if p.err != nil {
		return Config{}, p.err
	}
	if c.URLScanTimeout > c.RequestTimeout {
		return Config{}, errors.New("URLSCAN_TIMEOUT: must not exceed REQUEST_TIMEOUT")
	}
	return c, nil
}

// EntitiesLimit turns a token's CTR_ENTITIES_LIMIT (0 when absent or
// unusable) into the per-request limit: the default, clamped to the maximum.
func (c Config) EntitiesLimit(fromToken int) int {
	switch {
	case fromToken <= 0:
		return min(DefaultEntitiesLimit, c.EntitiesLimitMax)
	case fromToken > c.EntitiesLimitMax:
		return c.EntitiesLimitMax
	default:
		return fromToken
	}
}

// MetricsOnMain reports whether /metrics is served on the main listener:
// METRICS_ADDR names PORT's port.
func (c Config) MetricsOnMain() bool {
	_, port, err := net.SplitHostPort(c.MetricsAddr)
	return err == nil && port == strconv.Itoa(c.Port)
}

// CacheBytes is the memory the caches may hold, in bytes.
func (c Config) CacheBytes() int64 { return int64(c.CacheMaxMB) << 20 }

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// validBaseURL checks an http(s) root URL. Its errors never quote the
// value: a URL may hold a password or a token in its userinfo or query.
func validBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("not an http(s) URL with a host")
	}
	switch {
	case u.User != nil:
		return "", errors.New("must not carry credentials (user:password@)")
	case u.RawQuery != "" || u.ForceQuery:
		return "", errors.New("must not carry a query")
	case u.Fragment != "":
		return "", errors.New("must not carry a fragment")
	}
	return strings.TrimRight(s, "/"), nil
}
