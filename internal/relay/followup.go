package relay

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"urlscan-relay/internal/scans"
	"urlscan-relay/internal/urlscan"
)

// Defaults of FollowUp, as urlscan.io advises for polling a scan's result:
// a first look after about 10 seconds, then one every 2 seconds.
const (
	DefaultFirstLook     = 10 * time.Second
	DefaultPollEvery     = 2 * time.Second
	DefaultFollowsPerKey = 4
	DefaultFollowsInAll  = 64
)

// FollowUp configures what the relay does after urlscan.io accepts a scan.
type FollowUp struct {
	// Book records the scans submitted; nil: scans are neither recorded
	// nor followed.
	Book *scans.Book
	// Wait is how long a scan is followed from its submission (SCAN_WAIT);
	// 0: not at all (it is still recorded).
	Wait      time.Duration
	FirstLook time.Duration // default DefaultFirstLook
	Every     time.Duration // default DefaultPollEvery
	MaxPerKey int           // follow-ups at once per API key (default DefaultFollowsPerKey)
	MaxInAll  int           // follow-ups at once in all (default DefaultFollowsInAll)
	Logger    *slog.Logger
}

// follower polls the result of submitted scans in the background, each
// for at most its Wait, and records what became of them. Its goroutines
// end when Close is called.
type follower struct {
	up     Upstream
	book   *scans.Book
	cfg    FollowUp
	now    func() time.Time
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	perKey map[string]int
	inAll  int
}

func newFollower(up Upstream, c FollowUp, now func() time.Time) *follower {
	if c.FirstLook <= 0 {
		c.FirstLook = DefaultFirstLook
	}
	if c.Every <= 0 {
		c.Every = DefaultPollEvery
	}
	if c.MaxPerKey <= 0 {
		c.MaxPerKey = DefaultFollowsPerKey
	}
	if c.MaxInAll <= 0 {
		c.MaxInAll = DefaultFollowsInAll
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &follower{up: up, book: c.Book, cfg: c, now: now, log: log, ctx: ctx, cancel: cancel, perKey: map[string]int{}}
}

// follow starts following sc for apiKey, unless the bounds are reached,
// following is off, or the relay is stopping.
func (f *follower) follow(apiKey string, sc scans.Scan) {
	if f.cfg.Wait <= 0 {
		return
	}
	keyID := urlscan.KeyID(apiKey)
	f.mu.Lock()
	if f.ctx.Err() != nil || f.inAll >= f.cfg.MaxInAll || f.perKey[keyID] >= f.cfg.MaxPerKey {
		f.mu.Unlock()
		f.log.Info("scan not followed: too many follow-ups in progress", "scan", sc.ID, "key_id", keyID)
		return
	}
	f.inAll++
	f.perKey[keyID]++
	f.wg.Add(1)
	f.mu.Unlock()
	go func() {
		defer f.done(keyID)
		f.run(apiKey, keyID, sc)
	}()
}

func (f *follower) done(keyID string) {
	f.mu.Lock()
	f.inAll--
	if f.perKey[keyID]--; f.perKey[keyID] == 0 {
		delete(f.perKey, keyID)
	}
	f.mu.Unlock()
	f.wg.Done()
}

// close stops every follow-up and waits for them to end.
func (f *follower) close() {
	f.cancel()
	f.wg.Wait()
}

// run polls sc's result until it is known, urlscan.io says it does not
// know the scan, Wait has passed since the submission, or the relay stops.
// Each poll is one request: a failed one is retried by the next poll.
func (f *follower) run(apiKey, keyID string, sc scans.Scan) {
	deadline := sc.Submitted.Add(f.cfg.Wait)
	wait := min(f.cfg.FirstLook, f.cfg.Wait)
	for {
		if f.now().Add(wait).After(deadline) {
			sc.State = scans.Expired
			f.record(keyID, sc)
			f.log.Info("scan followed for SCAN_WAIT without a result", "scan", sc.ID, "key_id", keyID)
			return
		}
		if !f.sleep(wait) {
			return
		}
		r, err := f.up.Result(urlscan.WithoutRetry(f.ctx), apiKey, sc.ID)
		switch {
		case err == nil && r != nil:
			sc.State, sc.Malicious = scans.Done, r.Malicious
			f.record(keyID, sc)
			return
		case errors.Is(err, urlscan.ErrScanNotFinished):
		case errors.Is(err, urlscan.ErrResultGone):
			sc.State = scans.Gone
			f.record(keyID, sc)
			f.log.Info("urlscan.io does not know the scan it accepted", "scan", sc.ID, "key_id", keyID)
			return
		case f.ctx.Err() != nil:
			return
		default:
			f.log.Debug("scan poll failed; polling on", "scan", sc.ID, "key_id", keyID, "error", err)
		}
		wait = f.cfg.Every
		var ue *urlscan.Error
		if errors.As(err, &ue) && ue.RetryAfter > wait {
			wait = ue.RetryAfter // urlscan asked to wait: a poll sooner would only be refused
		}
	}
}

// sleep waits d, or until the relay stops; it reports whether to go on.
func (f *follower) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-f.ctx.Done():
		return false
	}
}

// record writes sc to the book, which bounds its own Remote call.
func (f *follower) record(keyID string, sc scans.Scan) {
	f.book.Record(f.ctx, keyID, sc)
}
