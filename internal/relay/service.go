// Package relay answers Threat Response's observe, deliberate, refer and
// respond questions from urlscan.io: it fans the lookups out to urlscan.io
// and maps what comes back onto CTIM entities (PROTOCOL.md §4 and §5).
package relay

import (
	"context"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/semaphore"

	"urlscan-relay/internal/scans"
	"urlscan-relay/internal/urlscan"
)

// Upstream is the part of urlscan.io the relay uses (implemented by
// *urlscan.Client, and by a caching decorator).
type Upstream interface {
	// Search returns the hits for query, newest first, at most size of them.
	Search(ctx context.Context, apiKey, query string, size int) ([]urlscan.Hit, error)
	// Result returns a scan's result document; errors.Is(err,
	// urlscan.ErrResultGone) when the scan was deleted.
	Result(ctx context.Context, apiKey, scanID string) (*urlscan.Result, error)
	// Scan submits a URL for scanning.
	Scan(ctx context.Context, apiKey string, r urlscan.ScanRequest) (*urlscan.ScanResponse, error)
}

// DefaultConcurrency is the number of upstream calls one request may have
// in flight when Config.Concurrency is not set.
const DefaultConcurrency = 64

// Config is what the relay needs to know besides urlscan.io itself.
type Config struct {
	UIURL        string      // URLSCAN_UI_URL, e.g. https://urlscan.io (links in entities and references)
	Visibilities []string    // SCAN_VISIBILITIES in order, e.g. private, unlisted, public
	ScanTags     []string    // SCAN_TAGS, sent with every submission
	ScanCountry  string      // SCAN_COUNTRY; empty: urlscan's choice
	ScanDeny     []string    // SCAN_DENY: domains never submitted, in lower case
	Concurrency  int         // max in-flight upstream calls per request (default DefaultConcurrency)
	FollowUp     FollowUp    // the book of submitted scans and how they are followed
	Lookups      LookupNoter // told of every observe and deliberate lookup; nil: nobody
	// Admission bounds the observables of requests waiting on urlscan.io
	// at once, across requests (default AdmissionPerCPU × GOMAXPROCS;
	// negative: no bound).
	Admission int
	// AllowPrivate (SCAN_ALLOW_PRIVATE) lets /respond/trigger submit
	// loopback, link-local and private targets.
	AllowPrivate bool
	// ResultsPerObservable is how many of each observable's newest hits get
	// their result document fetched (RESULTS_PER_OBSERVABLE); 0 fetches
	// every hit's, with no bound per request either: the original's way.
	ResultsPerObservable int
	// ResultsPerRequest bounds the result documents fetched for one request
	// across its observables (RESULTS_PER_REQUEST); 0: no bound.
	ResultsPerRequest int
	// MaxAnswerHits bounds the hits one observe or deliberate answer is
	// built from, across its observables (default DefaultMaxAnswerHits).
	MaxAnswerHits int
	Now           func() time.Time // clock, for hits that carry no time at all
	NewID         func() string    // uuid v4 strings for transient entity ids
}

// Service answers the relay's questions about observables.
type Service struct {
	up           Upstream
	ui           string
	visibilities []string
	scanTags     []string
	scanCountry  string
	deny         denyList
	allowPrivate bool
	concurrency  int
	perObs       int                 // 0: no result budget
	perReq       int                 // 0: no bound per request
	admission    *semaphore.Weighted // nil: every request admitted at once
	admissionCap int64
	maxHits      int // hits of one answer, across its observables
	now          func() time.Time
	newID        func() string
	book         *scans.Book // nil: submitted scans are not recorded
	noter        LookupNoter
	follow       *follower
	firstLook    time.Duration
	scanWait     time.Duration
}

// New returns a Service that asks up; zero Config fields take their defaults.
func New(up Upstream, c Config) *Service {
	s := &Service{
		up: up,
		// Links are built as ui + "/path", so a configured trailing slash
		// would double it.
		ui:           strings.TrimRight(c.UIURL, "/"),
		visibilities: append([]string(nil), c.Visibilities...),
		scanTags:     append([]string(nil), c.ScanTags...),
		scanCountry:  c.ScanCountry,
		deny:         denyList(append([]string(nil), c.ScanDeny...)),
		allowPrivate: c.AllowPrivate,
		concurrency:  c.Concurrency,
		perObs:       max(0, c.ResultsPerObservable),
		perReq:       max(0, c.ResultsPerRequest),
		maxHits:      c.MaxAnswerHits,
		now:          c.Now,
		newID:        c.NewID,
	}
	if s.concurrency <= 0 {
		s.concurrency = DefaultConcurrency
	}
	if s.maxHits <= 0 {
		s.maxHits = DefaultMaxAnswerHits
	}
	s.admissionCap = int64(c.Admission)
	if s.admissionCap == 0 {
		s.admissionCap = int64(AdmissionPerCPU * runtime.GOMAXPROCS(0))
	}
	if s.admissionCap > 0 {
		s.admission = semaphore.NewWeighted(s.admissionCap)
	} else {
		s.admissionCap = math.MaxInt64
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = uuid.NewString
	}
	s.book = c.FollowUp.Book
	s.noter = c.Lookups
	s.follow = newFollower(up, c.FollowUp, s.now)
	s.firstLook, s.scanWait = s.follow.cfg.FirstLook, s.follow.cfg.Wait
	return s
}

// Close stops following submitted scans and waits until every follow-up
// has ended. The Service answers on without them.
func (s *Service) Close() { s.follow.close() }

// transientID returns a fresh id for an entity of the given kind.
func (s *Service) transientID(kind string) string {
	return "transient:" + kind + "-" + s.newID()
}
