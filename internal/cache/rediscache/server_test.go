package rediscache

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// redisServer is a redis-server subprocess on a loopback port.
type redisServer struct {
	t      *testing.T
	cmd    *exec.Cmd
	port   int
	exited chan struct{} // closed when the process has been waited for
}

// URL is the REDIS_URL of the server.
func (r *redisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// startRedis starts redis-server without persistence; the test is skipped
// when the binary is missing (CI installs Debian's redis-server).
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH; install it (apt-get install redis-server) to run this test")
	}
	for attempt := 0; ; attempt++ {
		r := &redisServer{t: t, port: freePort(t)}
		if err := r.start(bin); err == nil {
			return r
		} else if attempt == 2 {
			t.Fatalf("start redis-server: %v", err)
		}
	}
}

// startRedisOn starts redis-server on a given port (to bring Redis up where
// a Store already points).
func startRedisOn(t *testing.T, port int) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH")
	}
	r := &redisServer{t: t, port: port}
	if err := r.start(bin); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	return r
}

func (r *redisServer) start(bin string) error {
	dir := r.t.TempDir()
	logf, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	r.cmd = exec.Command(bin,
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		return err
	}
	r.exited = make(chan struct{})
	go func() {
		r.cmd.Wait()
		close(r.exited)
	}()
	r.t.Cleanup(r.Kill)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-r.exited: // e.g. the port was taken meanwhile
			b, _ := os.ReadFile(logf.Name())
			return fmt.Errorf("redis-server on port %d exited: %s", r.port, b)
		default:
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)), 100*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.Kill()
	b, _ := os.ReadFile(logf.Name())
	return fmt.Errorf("redis-server on port %d did not come up: %s", r.port, b)
}

// Kill stops the server at once, as a crash would.
func (r *redisServer) Kill() {
	if r.exited == nil {
		return
	}
	r.cmd.Process.Kill()
	<-r.exited
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testURL is REDIS_URL when set (CI's shared server), else a server of the
// test's own.
func testURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return startRedis(t).URL()
}

// openStore opens a Store with a key prefix of its own, so tests sharing a
// REDIS_URL never see each other's keys.
func openStore(t *testing.T, url, prefix string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func uniquePrefix(t *testing.T) string {
	return fmt.Sprintf("urlscan-relay-test:%s:%s:", t.Name(), rand.Text()[:8])
}
