package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errNoRedis is why the replica scenario is skipped where redis-server is
// not installed.
var errNoRedis = errors.New("no redis-server on PATH")

// redisProc is a redis-server child process without persistence.
type redisProc struct {
	cmd  *exec.Cmd
	url  string
	addr string
	done chan struct{}
}

// startRedis starts a redis-server on a free loopback port and waits until
// it answers PING.
func startRedis(ctx context.Context) (*redisProc, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNoRedis
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	cmd.SysProcAttr = childAttr()
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting redis-server: %w", err)
	}
	p := &redisProc{cmd: cmd, url: "redis://127.0.0.1:" + port + "/0", addr: "127.0.0.1:" + port, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping("127.0.0.1:" + port) {
			return p, nil
		}
		select {
		case <-p.done:
			return nil, errors.New("redis-server exited at start")
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	p.stop()
	return nil, errors.New("redis-server did not answer PING within 10s")
}

// ping reports whether a Redis server at addr answers PING.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// dbSize is the number of keys the server holds.
func (p *redisProc) dbSize() (int64, error) {
	c, err := net.DialTimeout("tcp", p.addr, time.Second)
	if err != nil {
		return 0, fmt.Errorf("redis DBSIZE: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("DBSIZE\r\n")); err != nil {
		return 0, fmt.Errorf("redis DBSIZE: %w", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, ":") {
		return 0, fmt.Errorf("redis DBSIZE: %q, %v", line, err)
	}
	return strconv.ParseInt(strings.TrimSpace(line[1:]), 10, 64)
}

// stop ends the server and waits for it.
func (p *redisProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
