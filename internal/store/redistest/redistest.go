// Package redistest starts real Redis servers for tests: a redis-server
// process on a free loopback port, stopped when the test ends.
//
// When redis-server is not installed the test is skipped, unless
// HELPLINE_REQUIRE_REDIS=1 (as CI sets it), when it fails: a suite that
// silently skips its real-Redis half proves nothing.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"helpline/internal/config"
)

// Server is a running redis-server.
type Server struct {
	Addr string
	Port int
	cmd  *exec.Cmd
	dir  string
	args []string
}

// Binary returns the path of redis-server, skipping or failing t when it is
// missing.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if config.RequireRedis() {
			t.Fatalf("redis-server is not installed and HELPLINE_REQUIRE_REDIS=1 (apt-get install -y redis-server)")
		}
		t.Skip("redis-server not installed; set HELPLINE_REQUIRE_REDIS=1 to make this a failure")
	}
	return bin
}

// FreePort returns a loopback TCP port nobody listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs a redis-server on a free port with no persistence; extra
// arguments are passed on (e.g. "--cluster-enabled", "yes"). It is stopped
// when the test ends.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := Binary(t)
	port := FreePort(t)
	dir := t.TempDir()
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, dir: dir}
	s.args = append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}, extra...)
	s.start(t, bin)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start(t testing.TB, bin string) {
	t.Helper()
	s.cmd = exec.Command(bin, s.args...)
	s.cmd.Stdout, _ = os.Create(filepath.Join(s.dir, "redis.log"))
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	if err := Wait(s.Addr, 10*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
		t.Fatalf("redis-server on %s: %v\n%s", s.Addr, err, log)
	}
}

// Stop kills the server; it is safe to call twice.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Pause stops the server's process without ending it (SIGSTOP): it takes
// connections and commands and answers none, as a Redis stuck in a long
// command or behind a dead link does. Resume lets it go on.
func (s *Server) Pause() error { return s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume lets a paused server go on (SIGCONT).
func (s *Server) Resume() error { return s.cmd.Process.Signal(syscall.SIGCONT) }

// Restart starts the server again on the same port, after Stop.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t, Binary(t))
}

// Wait polls addr with PING until it answers or timeout passes.
func Wait(addr string, timeout time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no PING answer after %v: %w", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Cluster is a Redis Cluster of masters on loopback.
type Cluster struct {
	Nodes []*Server
}

// Addrs returns the nodes' addresses.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr
	}
	return out
}

// StartCluster runs n redis-servers with cluster mode on and joins them as
// a cluster of n masters with redis-cli --cluster create, waiting until the
// cluster reports ok.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		Binary(t) // skips or fails the same way as a missing server
		t.Fatal("redis-cli not installed (it comes with redis-server)")
	}
	c := &Cluster{}
	for i := 0; i < n; i++ {
		c.Nodes = append(c.Nodes, Start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Every node must say ok, not only the first: a master that has just
	// started holds its state at fail for a moment after the slots are
	// assigned, and answers CLUSTERDOWN meanwhile. A client that lands on
	// such a node first fails the test for no fault of the code under test.
	deadline := time.Now().Add(30 * time.Second)
	for _, node := range c.Nodes {
		for {
			out, _ := exec.Command(cli, "-h", "127.0.0.1", "-p", strconv.Itoa(node.Port), "cluster", "info").Output()
			if clusterReady(string(out), n) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ready after 30s:\n%s", node.Addr, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c
}

// clusterReady reports whether CLUSTER INFO says the node is ok, sees all
// slots served and knows all n nodes.
func clusterReady(info string, n int) bool {
	return strings.Contains(info, "cluster_state:ok") &&
		strings.Contains(info, "cluster_slots_ok:16384") &&
		strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)+"\r")
}

// Sentinel is a master, a replica and one sentinel watching them.
type Sentinel struct {
	Master, Replica *Server
	Sentinel        *Server
	Name            string
}

// StartSentinel runs a master, a replica of it and a sentinel monitoring
// the master under the name "helpline".
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	master := Start(t)
	replica := Start(t, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	port := FreePort(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor helpline 127.0.0.1 %d 1\nsentinel down-after-milliseconds helpline 1000\nsentinel failover-timeout helpline 5000\n", port, dir, master.Port)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, dir: dir, args: []string{conf, "--sentinel"}}
	s.start(t, Binary(t))
	t.Cleanup(s.Stop)
	return &Sentinel{Master: master, Replica: replica, Sentinel: s, Name: "helpline"}
}

// Hung is a Redis that hangs: it takes connections and commands and never
// answers, as a server stuck in a long command or behind a dead link does.
// It stops when the test ends.
type Hung struct {
	Addr string
	l    net.Listener
}

// StartHung starts a hung Redis on a free port.
func StartHung(t testing.TB) *Hung {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &Hung{Addr: l.Addr().String(), l: l}
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		l.Close()
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				// Read and discard, never answer, until the test ends.
				buf := make([]byte, 4096)
				go func() {
					<-done
					c.Close()
				}()
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return h
}
