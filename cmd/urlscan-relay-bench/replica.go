package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
)

// replicaDocKiB is the size of the replica scenario's result documents.
const replicaDocKiB = 8

// replicaPrimers is how many clients fill Redis through the first replica.
const replicaPrimers = 16

// maxPrimeRounds bounds the primers run to fill Redis.
const maxPrimeRounds = 3

// replicaCacheMB is both replicas' CACHE_MAX_MB: enough memory for every
// request of the scenario, so that the second pass is served from memory.
const replicaCacheMB = "128"

// replicaReport is what the replica scenario measured: one replica filled
// Redis with bodies distinct requests; a second replica, started empty,
// answered each of them once (from Redis: the first touch) and then once
// more (from its own memory, which kept what it read).
type replicaReport struct {
	Bodies      int         `json:"bodies"`
	PrimedKeys  int64       `json:"primed_redis_keys"` // what Redis held after priming
	PrimeRounds int         `json:"prime_rounds"`
	Skipped     string      `json:"skipped,omitempty"` // why it did not run
	Prime       phaseReport `json:"prime"`
	Redis       phaseReport `json:"redis_served"`
	Memory      phaseReport `json:"memory_served"`
}

// runReplica runs the replica scenario on bin. label makes the bodies of
// this run distinct from every other run's.
func runReplica(ctx context.Context, r *rig, bin, label string) (replicaReport, error) {
	o := r.opts
	rep := replicaReport{Bodies: o.replicaBodies}
	if !o.selected("replica") {
		rep.Skipped = "not selected by -phases"
		return rep, nil
	}
	rs, err := startRedis(ctx)
	if errors.Is(err, errNoRedis) {
		rep.Skipped = err.Error()
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	defer rs.stop()
	env := map[string]string{"REDIS_URL": rs.url, "CACHE_MAX_MB": replicaCacheMB}
	pass := func(name string, p *relayProc, clients int, out *phaseReport) error {
		var next atomic.Int64
		body := func() []byte { return replicaBody(label, int(next.Add(1)-1)%o.replicaBodies) }
		g := newLoadGen(p.base, r.token, clients)
		defer g.closeIdle()
		*out = phaseReport{Name: name, Kind: "replica", Clients: clients}
		return measure(ctx, r.smallFake, p, g, load{clients: clients, requests: o.replicaBodies, body: body, judge: cleanJudge(warmFullParseEvery)}, out)
	}

	// A write to Redis that times out is skipped, not retried, and a busy
	// machine makes some time out: a fresh primer (whose memory is empty)
	// fills what is missing, until Redis holds every value.
	want := int64(o.replicaBodies) * int64(4+4*o.hits)
	for attempt := 1; ; attempt++ {
		primer, err := r.startRelay(ctx, bin, r.smallFake.URL, env)
		if err != nil {
			return rep, fmt.Errorf("replica primer: %w", err)
		}
		err = pass("replica-prime", primer, replicaPrimers, &rep.Prime)
		if serr := primer.stop(); serr != nil && rep.Prime.Failure == "" {
			rep.Prime.Failure = serr.Error()
		}
		if err != nil {
			return rep, err
		}
		n, err := rs.dbSize()
		if err != nil {
			return rep, err
		}
		rep.PrimedKeys, rep.PrimeRounds = n, attempt
		if n >= want || attempt == maxPrimeRounds {
			break
		}
	}

	p, err := r.startRelay(ctx, bin, r.smallFake.URL, env)
	if err != nil {
		return rep, fmt.Errorf("replica: %w", err)
	}
	defer func() { _ = p.stop() }()
	// An empty request fetches the JWKS, which the first touch of the
	// bodies would otherwise pay for.
	g := newLoadGen(p.base, r.token, 1)
	status, b, err := g.post(ctx, []byte(`[]`), new(bytes.Buffer))
	g.closeIdle()
	if err != nil || status != http.StatusOK {
		return rep, fmt.Errorf("replica: authenticating: status %d, %v %s", status, err, shorten(string(b), 200))
	}
	if err := pass(fmt.Sprintf("redis-%d", o.clients), p, o.clients, &rep.Redis); err != nil {
		return rep, err
	}
	if err := pass(fmt.Sprintf("memory-%d", o.clients), p, o.clients, &rep.Memory); err != nil {
		return rep, err
	}
	if err := p.stop(); err != nil {
		rep.Memory.Failure = err.Error()
	}
	rep.Redis.LogLeaks = p.logs.leakCount()
	return rep, nil
}

// replicaLabel names the bodies of one run of the replica scenario.
func replicaLabel(bin string, round int) string { return bin + strconv.Itoa(round) }
