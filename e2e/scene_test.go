//go:build linux

// Package e2e compares kubectl-netstat with the real net-tools netstat on
// throw-away network namespaces full of known sockets and routes.
//
// TestMain builds the tool and testdata/sockd once, creates the scene
// namespace (see buildMainScene) and removes it again, also on failure or
// SIGINT/SIGTERM. Tests that need root or /usr/bin/netstat skip with the
// reason when either is missing; the comparator's own tests always run.
//
// KUBECTL_NETSTAT_BIN, when set, is used instead of building the tool.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const netstatPath = "/usr/bin/netstat"

// testEnv is what TestMain prepared; tests only read it.
type testEnv struct {
	skip     string // non-empty: why the root tests skip
	tmp      string
	sockd    string
	tool     string
	toolErr  error // the tool did not build
	sceneErr error
	main     *scene
}

var env testEnv

func TestMain(m *testing.M) {
	code := func() int {
		flag.Parse()
		if noTestsRun() {
			return m.Run()
		}
		if os.Geteuid() != 0 {
			env.skip = fmt.Sprintf("needs root (euid %d): creates network namespaces", os.Geteuid())
		} else if _, err := os.Stat(netstatPath); err != nil {
			env.skip = fmt.Sprintf("%s missing (apt-get install net-tools): %v", netstatPath, err)
		} else if _, err := exec.LookPath("ip"); err != nil {
			env.skip = fmt.Sprintf("ip (iproute2) missing: %v", err)
		}
		if env.skip != "" {
			fmt.Fprintf(os.Stderr, "e2e: root tests skip: %s\n", env.skip)
			return m.Run()
		}
		tmp, err := os.MkdirTemp("", "kn-e2e-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
			return 1
		}
		env.tmp = tmp
		// Readable by uid 65534 too: TestDiffNonRoot runs the tool from here.
		if err := os.Chmod(tmp, 0o755); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
			return 1
		}
		var once sync.Once
		cleanup := func() {
			once.Do(func() {
				if env.main != nil {
					env.main.close()
				}
				os.RemoveAll(tmp)
			})
		}
		defer cleanup()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		go func() {
			s := <-sig
			fmt.Fprintf(os.Stderr, "e2e: %v: removing the scene\n", s)
			cleanup()
			os.Exit(2)
		}()
		removeStaleNamespaces()
		env.sockd, env.sceneErr = buildSockd(tmp)
		env.tool, env.toolErr = buildTool(tmp)
		if env.toolErr != nil {
			fmt.Fprintf(os.Stderr, "e2e: tool not available: %v\n", env.toolErr)
		}
		if env.sceneErr == nil {
			env.main, env.sceneErr = buildMainScene(tmp, env.sockd)
		}
		if env.sceneErr != nil {
			fmt.Fprintf(os.Stderr, "e2e: scene: %v\n", env.sceneErr)
		}
		return m.Run()
	}()
	os.Exit(code)
}

// noTestsRun reports a run that lists tests or runs none (-list, -run=^$
// for benchmarks and fuzzing), which must not build namespaces.
func noTestsRun() bool {
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return true
	}
	f := flag.Lookup("test.run")
	return f != nil && f.Value.String() == "^$"
}

// needScene skips without root/netstat and fails when the scene could not
// be built.
func needScene(t *testing.T) *scene {
	t.Helper()
	if env.skip != "" {
		t.Skip(env.skip)
	}
	if env.sceneErr != nil {
		t.Fatalf("scene: %v", env.sceneErr)
	}
	return env.main
}

// needTool is needScene plus the built tool.
func needTool(t *testing.T) (*scene, string) {
	t.Helper()
	s := needScene(t)
	if env.toolErr != nil {
		t.Fatalf("kubectl-netstat did not build: %v", env.toolErr)
	}
	return s, env.tool
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the module")
	}
	return filepath.Dir(mod), nil
}

func goBuild(out, pkg string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	c := exec.Command("go", "build", "-o", out, pkg)
	c.Dir = root
	b, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

func buildSockd(tmp string) (string, error) {
	p := filepath.Join(tmp, "sockd")
	return p, goBuild(p, "./testdata/sockd")
}

func buildTool(tmp string) (string, error) {
	if p := os.Getenv("KUBECTL_NETSTAT_BIN"); p != "" {
		return p, nil
	}
	p := filepath.Join(tmp, "kubectl-netstat")
	return p, goBuild(p, "./cmd/kubectl-netstat")
}

// result is one finished command.
type result struct {
	stdout, stderr string
	code           int // -1: did not run or was killed
}

// cmdTimeout only catches a hung command: a loaded machine may be slow,
// which is not wrong, so it is generous.
const cmdTimeout = 5 * time.Minute

// run runs a command with the C locale (netstat's untranslated texts) and
// a timeout.
func run(timeout time.Duration, name string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.Env = append(os.Environ(), "LC_ALL=C", "LANG=C", "LANGUAGE=")
	var o, e bytes.Buffer
	c.Stdout, c.Stderr = &o, &e
	err := c.Run()
	r := result{stdout: o.String(), stderr: e.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code = -1
		r.stderr += err.Error()
	}
	return r
}

// nsNamePrefix names every namespace these tests create; the creator's pid
// follows so that a later run can remove what a killed run left behind.
const nsNamePrefix = "kn-e2e-"

var staleRE = regexp.MustCompile(`^` + nsNamePrefix + `([0-9]+)-`)

// removeStaleNamespaces deletes kn-e2e-PID-* namespaces whose creating
// test process is gone (a run killed by -timeout cannot clean up itself).
func removeStaleNamespaces() {
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range ents {
		m := staleRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		if pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue
		}
		run(cmdTimeout, "ip", "netns", "del", e.Name())
	}
}

// scene is one namespace with its sockd processes.
type scene struct {
	name  string // ip netns name
	path  string // /run/netns/name
	inode uint64 // namespace inode (netns/INODE target)
	dir   string // where unix socket files live
	procs []*sockdProc
}

type sockdProc struct {
	argv0  string
	cmd    *exec.Cmd
	stdin  interface{ Close() error }
	stderr *syncBuf // written by exec's copier goroutine while start reads it
	pid    int
}

// newNamespace creates a namespace with lo up and IPv6 made quiet: no DAD
// and no router solicitations, so counters and route tables stop moving
// soon after setup.
func newNamespace(tag string) (*scene, error) {
	name := fmt.Sprintf("%s%d-%08x%s", nsNamePrefix, os.Getpid(), rand.Uint32(), tag)
	if r := run(cmdTimeout, "ip", "netns", "add", name); r.code != 0 {
		return nil, fmt.Errorf("ip netns add %s: %s", name, r.stderr)
	}
	s := &scene{name: name, path: "/run/netns/" + name}
	var st syscall.Stat_t
	if err := syscall.Stat(s.path, &st); err != nil {
		s.close()
		return nil, err
	}
	s.inode = st.Ino
	sysctl := `for k in all default; do
echo 0 > /proc/sys/net/ipv6/conf/$k/accept_dad
echo 0 > /proc/sys/net/ipv6/conf/$k/dad_transmits
echo 0 > /proc/sys/net/ipv6/conf/$k/router_solicitations
done`
	if r := run(cmdTimeout, "ip", "netns", "exec", name, "sh", "-ec", sysctl); r.code != 0 {
		s.close()
		return nil, fmt.Errorf("sysctl in %s: %s", name, r.stderr)
	}
	if err := s.ip("link", "set", "lo", "up"); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// waitHostRoutes waits until every IPv6 address in addrs has its host
// route ("local ADDR" in table local). "ip addr add" returns once the
// address and its prefix route exist, but the kernel inserts the host
// route later, from the addrconf work queue (DAD's completion; nodad only
// skips the probes, not the queue). On a busy machine that is milliseconds
// later, and a TCP connect to the address started in between fails with
// ENETUNREACH (seen one SYN retransmission later, ~1 s). So sockd may start
// only once the routes are there. There is no early limit: a slow
// kernel queue is not wrong, cmdTimeout only catches one that never runs.
func (s *scene) waitHostRoutes(addrs ...string) error {
	deadline := time.Now().Add(cmdTimeout)
	for _, a := range addrs {
		for {
			args := []string{"-n", s.name, "-6", "route", "show", "table", "local", "type", "local", a}
			r := run(cmdTimeout, "ip", args...)
			if r.code != 0 {
				return fmt.Errorf("ip %s: %s", strings.Join(args, " "), strings.TrimSpace(r.stderr))
			}
			if strings.TrimSpace(r.stdout) != "" {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: no host route for %s after %v", s.name, a, cmdTimeout)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// ip runs "ip -n NS ARGS..." and fails on any error.
func (s *scene) ip(args ...string) error {
	r := run(cmdTimeout, "ip", append([]string{"-n", s.name}, args...)...)
	if r.code != 0 {
		return fmt.Errorf("ip -n %s %s: %s", s.name, strings.Join(args, " "), strings.TrimSpace(r.stderr))
	}
	return nil
}

// start runs sockd inside the namespace with argv[0] set to argv0 and waits
// for its "ready".
func (s *scene) start(sockd, argv0 string, directives ...string) (*sockdProc, error) {
	args := append([]string{"netns", "exec", s.name, sockd, "-argv0", argv0}, directives...)
	c := exec.Command("ip", args...)
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	errb := &syncBuf{}
	c.Stderr = errb
	in, err := c.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := c.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	p := &sockdProc{argv0: argv0, cmd: c, stdin: in, stderr: errb, pid: c.Process.Pid}
	s.procs = append(s.procs, p)
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(out).ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("unexpected %q", line)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			if errors.Is(err, io.EOF) {
				// sockd exited; let exec copy the rest of its stderr.
				_ = c.Wait()
			}
			return nil, fmt.Errorf("sockd %s: %v; stderr: %s", argv0, err, errb.String())
		}
	case <-time.After(cmdTimeout): // a slow start is not wrong; this catches a hung one
		return nil, fmt.Errorf("sockd %s: no ready after %v; stderr: %s", argv0, cmdTimeout, errb.String())
	}
	return p, nil
}

// close stops the processes and deletes the namespace.
func (s *scene) close() {
	for _, p := range s.procs {
		_ = p.stdin.Close()
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	}
	s.procs = nil
	run(cmdTimeout, "ip", "netns", "del", s.name)
}

// freshTimeWait adds TIME_WAIT entries (v4 on port, v6 on port+1) that
// last 60 s from now; a slow run would otherwise outlive the scene's own.
func (s *scene) freshTimeWait(t *testing.T, port int) {
	t.Helper()
	r := run(cmdTimeout, "ip", "netns", "exec", s.name, env.sockd,
		fmt.Sprintf("timewait 127.0.0.1:%d", port), fmt.Sprintf("timewait [::1]:%d", port+1))
	if r.code != 0 || r.stdout != "ready\n" {
		t.Fatalf("sockd timewait: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// settle waits until the namespace's interface counters and IPv6 SNMP
// counters stop changing (the last MLD reports after link-up), so the
// two tools look at the same state. It gives up quietly after a while;
// the sandwich comparison still catches a scene that moves.
func (s *scene) settle() {
	var last string
	same := 0
	deadline := time.Now().Add(12 * time.Second)
	for time.Now().Before(deadline) && same < 6 {
		r := run(cmdTimeout, "ip", "netns", "exec", s.name, "cat", "/proc/net/dev", "/proc/net/snmp6")
		if r.stdout == last {
			same++
		} else {
			same = 0
			last = r.stdout
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Process names of the main scene. A's shared sockets are inherited by a
// child ("sockd-child", higher pid), so -p must print A's pid.
const (
	argv0A = "/usr/local/libexec/averyveryverylongprogramname-sockd" // > 19 bytes with the pid
	argv0B = "./relative/sockd-b"                                    // relative: kept verbatim
	argv0C = "/opt/some dir/my prog --flag"                          // absolute with spaces
)

// buildMainScene creates the designed namespace: a veth pair with both ends
// inside, v4+v6 documentation addresses (one secondary, labelled), every
// kind of route netstat prints, and three sockd processes holding every
// kind of socket the brief lists.
func buildMainScene(tmp, sockd string) (*scene, error) {
	s, err := newNamespace("")
	if err != nil {
		return nil, err
	}
	s.dir = filepath.Join(tmp, "sock")
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		s.close()
		return nil, err
	}
	steps := [][]string{
		{"link", "add", "kne-a", "type", "veth", "peer", "name", "kne-b"},
		{"addr", "add", "192.0.2.1/24", "dev", "kne-a"},
		{"addr", "add", "192.0.2.2/24", "dev", "kne-a", "label", "kne-a:sec"},
		{"addr", "add", "198.51.100.1/24", "dev", "kne-b"},
		{"addr", "add", "2001:db8::1/64", "dev", "kne-a", "nodad"},
		{"addr", "add", "2001:db8:1::1/64", "dev", "kne-b", "nodad"},
		{"link", "set", "kne-a", "up"},
		{"link", "set", "kne-b", "up"},
		{"route", "add", "203.0.113.0/24", "via", "192.0.2.254", "dev", "kne-a"},
		{"route", "add", "203.0.113.8/29", "dev", "kne-b"},
		{"route", "add", "203.0.113.77/32", "via", "198.51.100.254", "dev", "kne-b"},
		{"route", "add", "203.0.113.78/32", "dev", "kne-a"},
		{"route", "add", "unreachable", "203.0.113.64/26"},
		{"route", "add", "prohibit", "203.0.113.128/26"},
		{"route", "add", "blackhole", "203.0.113.192/26"},
		{"route", "add", "203.0.113.16/28", "via", "192.0.2.254", "dev", "kne-a", "metric", "4294967295"},
		{"route", "add", "203.0.113.32/28", "via", "192.0.2.254", "dev", "kne-a", "metric", "3000000000"},
		{"-6", "route", "add", "2001:db8:100::/48", "via", "2001:db8::fe", "dev", "kne-a"},
		{"-6", "route", "add", "2001:db8:200::/64", "dev", "kne-b"},
		{"-6", "route", "add", "2001:db8:300::1/128", "dev", "kne-a"},
		{"-6", "route", "add", "unreachable", "2001:db8:400::/48"},
		{"-6", "route", "add", "prohibit", "2001:db8:500::/48"},
		{"-6", "route", "add", "blackhole", "2001:db8:600::/48"},
		{"-6", "route", "add", "2001:db8:700::/48", "via", "2001:db8::fe", "dev", "kne-a", "metric", "4294967295"},
	}
	for _, st := range steps {
		if err := s.ip(st...); err != nil {
			s.close()
			return nil, err
		}
	}
	// sockd A connects to 2001:db8:1::1 (pair ...:7014); the veth
	// addresses get their host routes from the same queue after link up.
	if err := s.waitHostRoutes("2001:db8::1", "2001:db8:1::1"); err != nil {
		s.close()
		return nil, err
	}
	d := s.dir
	procs := []struct {
		argv0 string
		dirs  []string
	}{
		{argv0A, []string{
			"listen 0.0.0.0:7001",
			"listen [::]:7002 v6only",
			"listen 127.0.0.1:7003",
			"listen [::1]:7004",
			"listen 192.0.2.1:7005",
			"listen [2001:db8::1]:7006",
			"listen 198.51.100.1:22",
			"listen [::]:80",
			"pair 127.0.0.1:7010 c2s=100 s2c=200",
			"pair [::1]:7011 c2s=300 s2c=7",
			"pair [::]:7012 to=127.0.0.1:7012 c2s=11 s2c=13",
			"pair 192.0.2.1:7013 to=192.0.2.1:7013 c2s=1 s2c=2",
			"pair [2001:db8:1::1]:7014 c2s=3",
			"backlog 127.0.0.1:7020 n=3",
			"backlog [::1]:7021 n=2",
			"timewait 127.0.0.1:7030",
			"timewait [::1]:7031",
			"udp 0.0.0.0:5001 recv=100",
			"udp [::]:5002 v6only",
			"udp 127.0.0.1:53",
			"udp 127.0.0.1:5003 connect=127.0.0.1:5004",
			"udp [::1]:5005 v6only connect=[::1]:5006 recv=10",
			"udp [::]:5007 connect=127.0.0.1:5008 recv=20",
			"udp 192.0.2.2:5009 connect=198.51.100.1:5010",
			"raw4",
			"raw6",
			"raw4 connect=127.0.0.1:0",
			"unix-listen stream " + d + "/srv.sock conns=2 accept",
			"unix-listen stream @kn-e2e-abstract conns=1",
			"unix-listen stream " + d + "/with%20space.sock conns=1 accept",
			"unix-listen seqpacket " + d + "/seq.sock conns=1 accept",
			"unix-pair stream",
			"unix-pair dgram",
			"unix-pair seqpacket",
			"unix-dgram",
			"unix-dgram " + d + "/dgram.sock",
			"unix-dgram @kn-e2e-dgram",
			"spawn sockd-child",
		}},
		{argv0B, []string{
			"listen 0.0.0.0:8001",
			"pair 127.0.0.1:8002 c2s=5 s2c=6",
			"udp [::]:8003",
			"unix-listen stream @kn-e2e-b",
		}},
		{argv0C, []string{
			"listen [::]:9001 v6only",
			"pair [::1]:9002 c2s=1",
			"unix-dgram",
		}},
	}
	for _, p := range procs {
		if _, err := s.start(sockd, p.argv0, p.dirs...); err != nil {
			s.close()
			return nil, err
		}
	}
	s.settle()
	return s, nil
}
