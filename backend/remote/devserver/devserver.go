// Package devserver starts a Temporal development server on loopback for
// tests, benchmarks and trying Castscope on Temporal: the Temporal CLI's
// `temporal server start-dev`, headless, on free ports, its state in one
// SQLite file. It is never the production server — a post house points
// its workers at its own cluster.
//
// The CLI is not a Debian package: `make temporal` builds it from the Go
// module proxy into the user cache (Binary), outside the repository.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// CLIVersion is the Temporal CLI `make temporal` builds.
const CLIVersion = "v1.5.1"

// EnvBinary names a Temporal CLI to use instead of the cached one.
const EnvBinary = "CASTSCOPE_TEMPORAL_BIN"

// Binary returns the Temporal CLI: $CASTSCOPE_TEMPORAL_BIN when that file
// exists, else the one
// `make temporal` caches ({user cache}/castscope-tools/temporal-VERSION/temporal),
// else `temporal` on PATH; "" when there is none.
func Binary() string {
	isFile := func(p string) bool { st, err := os.Stat(p); return err == nil && !st.IsDir() }
	if p := os.Getenv(EnvBinary); p != "" && isFile(p) {
		return p
	}
	if dir, err := os.UserCacheDir(); err == nil {
		if p := filepath.Join(dir, "castscope-tools", "temporal-"+CLIVersion, "temporal"); isFile(p) {
			return p
		}
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p
	}
	return ""
}

// Server is a running development server.
type Server struct {
	Addr string // 127.0.0.1:PORT, the frontend (gRPC) address
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	once sync.Once
}

// Start runs the development server with its database and log in dir and
// waits until it accepts connections.
func Start(ctx context.Context, bin, dir string) (*Server, error) {
	if bin == "" {
		return nil, errors.New("devserver: no Temporal CLI (run make temporal, or set " + EnvBinary + ")")
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "temporal-server.log"))
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	cmd := exec.Command(bin, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
		"--port", strconv.Itoa(ports[0]), "--http-port", strconv.Itoa(ports[1]), "--metrics-port", strconv.Itoa(ports[2]),
		"--ui-port", strconv.Itoa(ports[3]), "--db-filename", filepath.Join(dir, "temporal.db"), "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("devserver: start %s: %w", bin, err)
	}
	s := &Server{Addr: addr, cmd: cmd, log: logf, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err == nil {
			c.Close()
			// The frontend listens a moment before the default namespace
			// is ready; a client's first call retries, so this is enough.
			return s, nil
		}
		select {
		case <-s.done:
			b, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("devserver: the server exited: %s", strings.TrimSpace(string(b)))
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, errors.New("devserver: the server did not listen within 60 s")
		}
	}
}

// Stop ends the server (SIGTERM, then SIGKILL after 10 s).
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
		s.log.Close()
	})
}

// freePorts returns n distinct ports free on loopback now.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}
