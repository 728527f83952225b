// Package redistest starts a redis-server of a test's own on a loopback
// port, without persistence, so that the test may kill it like a crash.
// Tests are skipped where no redis-server is installed (CI installs
// Debian's).
package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Server is a running redis-server subprocess.
type Server struct {
	t      testing.TB
	cmd    *exec.Cmd
	port   int
	exited chan struct{} // closed when the process has been waited for
}

// Start starts a server on a free port; it is killed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := lookPath(t)
	for attempt := 0; ; attempt++ {
		s := &Server{t: t, port: FreePort(t)}
		err := s.start(bin)
		if err == nil {
			return s
		}
		if attempt == 2 { // a free port may be taken before redis-server binds it
			t.Fatalf("start redis-server: %v", err)
		}
	}
}

// StartOn starts a server on port, to bring Redis up where a client
// already points.
func StartOn(t testing.TB, port int) *Server {
	t.Helper()
	s := &Server{t: t, port: port}
	if err := s.start(lookPath(t)); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	return s
}

// URL is the REDIS_URL of the server.
func (s *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Kill stops the server at once, as a crash would.
func (s *Server) Kill() {
	if s.exited == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Freeze stops the process without closing its sockets, as a partitioned
// or hung Redis looks to a client: connections stay open and nothing
// answers. Thaw (or the end of the test) resumes it.
func (s *Server) Freeze() error {
	s.t.Cleanup(func() { _ = s.Thaw() })
	return s.cmd.Process.Signal(syscall.SIGSTOP)
}

// Thaw resumes a frozen server.
func (s *Server) Thaw() error { return s.cmd.Process.Signal(syscall.SIGCONT) }

// FreePort returns a loopback port nothing listens on at the moment.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func lookPath(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH; install it (apt-get install redis-server) to run this test")
	}
	return bin
}

func (s *Server) start(bin string) error {
	dir := s.t.TempDir()
	logf, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	s.cmd = exec.Command(bin,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.exited = make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	s.t.Cleanup(s.Kill)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited: // e.g. the port was taken meanwhile
			b, _ := os.ReadFile(logf.Name())
			return fmt.Errorf("redis-server on port %d exited: %s", s.port, b)
		default:
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), 100*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Kill()
	b, _ := os.ReadFile(logf.Name())
	return fmt.Errorf("redis-server on port %d did not come up: %s", s.port, b)
}
