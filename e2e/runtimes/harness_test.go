//go:build !windows

// Package runtimes runs real container runtimes (Docker, Podman rootful and
// rootless, LXC, systemd-nspawn, bare runc and crun) and checks what
// kubectl-netstat says about each container against the runtime's own CLI and
// each container's socket table against net-tools netstat in its netns.
//
// It needs root and `hack/runtimes.sh up` (images, dockerd, Podman's
// containers.conf, the crun wrapper, the rootless user). Without them the
// tests skip and say why; with KNS_RUNTIMES_E2E=1 (CI) such a skip fails.
package runtimes

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	bin    string // the kubectl-netstat binary under test
	rtEnv  = map[string]string{}
	envErr error
	ciMode = os.Getenv("KNS_RUNTIMES_E2E") == "1"
)

func TestMain(m *testing.M) {
	code := func() int {
		if os.Geteuid() != 0 {
			envErr = fmt.Errorf("needs root")
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "kns-runtimes-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "kubectl-netstat")
		_, file, _, _ := runtime.Caller(0)
		repo := filepath.Join(filepath.Dir(file), "..", "..")
		b := exec.Command("go", "build", "-o", bin, "./cmd/kubectl-netstat")
		b.Dir = repo
		if out, err := b.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
			return 1
		}
		out, err := exec.Command(filepath.Join(repo, "hack", "runtimes.sh"), "env").Output()
		if err != nil {
			envErr = fmt.Errorf("hack/runtimes.sh env: %v", err)
			return m.Run()
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok {
				rtEnv[k] = v
			}
		}
		for _, f := range []string{filepath.Join(rtEnv["KNS_RT_ROOTFS"], "bin", "listen"), rtEnv["CONTAINERS_CONF"], rtEnv["KNS_RT_CRUN_WRAPPER"]} {
			if _, err := os.Stat(f); err != nil {
				envErr = fmt.Errorf("runtimes not set up, %s missing (run hack/runtimes.sh up first)", f)
				break
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// need skips the test when a prerequisite is missing; in CI (KNS_RUNTIMES_E2E=1),
// where .ci/run installed and started every runtime, that is a failure.
func need(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if ok {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if ciMode {
		t.Fatalf("KNS_RUNTIMES_E2E=1 but %s", msg)
	}
	t.Skip(msg)
}

func needEnv(t *testing.T, tools ...string) {
	t.Helper()
	need(t, envErr == nil, "%v", envErr)
	for _, tool := range tools {
		_, err := exec.LookPath(tool)
		need(t, err == nil, "%s not installed", tool)
	}
}

func suffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cmdTimeout bounds every runtime CLI call; generous for a loaded 2-core machine.
const cmdTimeout = 3 * time.Minute

// sh runs a command and returns its trimmed stdout; failure fails the test.
func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := shErr(nil, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

func shErr(env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.Env = append(os.Environ(), env...)
	c.Dir = "/"
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// cleanup registers a best-effort command run at the end of the test.
func cleanup(t *testing.T, name string, args ...string) {
	t.Cleanup(func() { _, _ = shErr(nil, name, args...) })
}

// freePort returns a TCP port free on the host's loopback right now (for
// host-network containers; other listeners share the host netns).
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// want is what the runtime's own CLI says about one container.
type want struct {
	Case    string
	Runtime string
	ID      string
	Name    string // "" = must be null/empty
	Image   string // "" = must be null/empty
	PodName string
	PodUID  string
	Sandbox bool
	PID     int    // a container process (init) the runtime reports
	NotPIDs []int  // processes that must not be the container's (supervisors, monitors)
	Port    int    // a TCP listener of this container's own process, 0 = none
	Kind    string // netns kind
	Owner   string // ID of the netns owner
	HostNet bool
	Target  string // container/<Target>
	// SharedHost: the netns is the host's, so only our own row is compared.
	SharedHost bool
}

// netnsIno is the inode of /proc/PID/ns/net.
func netnsIno(t *testing.T, pid int) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil {
		t.Fatalf("pid %d: %v", pid, err)
	}
	return st.Ino
}

// netstatIn runs net-tools netstat in the netns of pid.
func netstatIn(pid int, flags string) (string, error) {
	return shErr([]string{"LC_ALL=C"}, "nsenter", "--net=/proc/"+strconv.Itoa(pid)+"/ns/net", "/usr/bin/netstat", flags)
}

// waitListen polls until pid's netns has a TCP listener on port.
func waitListen(t *testing.T, pid, port int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, _ := netstatIn(pid, "-tln")
		for _, l := range strings.Split(out, "\n") {
			f := strings.Fields(l)
			if len(f) >= 4 && strings.HasSuffix(f[3], ":"+strconv.Itoa(port)) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: no listener on %d after 2m:\n%s", pid, port, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitPID polls f until it returns a live pid.
func waitPID(t *testing.T, what string, f func() (int, error)) int {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		pid, err := f()
		if err == nil && pid > 0 {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no pid after 2m (%v)", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func atoi(s string) (int, error) { return strconv.Atoi(strings.TrimSpace(s)) }

// The binary's JSON, only the fields compared.
type ctrRec struct {
	Runtime string  `json:"runtime"`
	ID      string  `json:"id"`
	Name    *string `json:"name"`
	Image   *string `json:"image"`
	Pod     *struct {
		Namespace, Name, UID string
	} `json:"pod"`
	HostNetwork bool   `json:"host_network"`
	Sandbox     bool   `json:"sandbox"`
	PIDs        []int  `json:"pids"`
	NetnsInode  uint64 `json:"netns_inode"`
}

type nsRec struct {
	Inode      uint64    `json:"inode"`
	Kind       string    `json:"kind"`
	Owner      *ctrRec   `json:"owner"`
	Containers []*ctrRec `json:"containers"`
	PIDs       []int     `json:"pids"`
}

type sockRec struct {
	Proto     string                 `json:"proto"`
	LocalPort int                    `json:"local_port"`
	State     string                 `json:"state"`
	PID       *int                   `json:"pid"`
	Netns     struct{ Inode uint64 } `json:"netns"`
	Container *ctrRec                `json:"container"`
}

type auditRec struct {
	Netns     struct{ Inode uint64 } `json:"netns"`
	Container *ctrRec                `json:"container"`
	PID       *int                   `json:"pid"`
	Port      int                    `json:"port"`
	Proto     string                 `json:"proto"`
}

// kns runs the binary; a non-zero exit fails the test.
func kns(t *testing.T, args ...string) string {
	t.Helper()
	out, err := shErr(nil, bin, args...)
	if err != nil {
		t.Fatalf("kubectl-netstat %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func knsJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := kns(t, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("kubectl-netstat %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// verify checks every want against one snapshot of the binary's views,
// field by field, and each container/TARGET against netstat in its netns.
// It returns how many containers were right on every field.
func verify(t *testing.T, ws []want) int {
	t.Helper()
	var ctrs []*ctrRec
	var nss []*nsRec
	var socks []*sockRec
	var audit []*auditRec
	knsJSON(t, &ctrs, "containers", "-o", "json")
	knsJSON(t, &nss, "namespaces", "-o", "json")
	knsJSON(t, &socks, "--all-containers", "-tuln", "-o", "json")
	knsJSON(t, &audit, "audit", "-o", "json")
	right := 0
	for _, w := range ws {
		ok := t.Run(w.Case, func(t *testing.T) {
			ino := netnsIno(t, w.PID)
			var c *ctrRec
			for _, x := range ctrs {
				if x.ID == w.ID {
					c = x
				}
			}
			if c == nil {
				t.Fatalf("containers: %s (%s) not listed", w.ID, w.Name)
			}
			eq := func(field string, got, want any) {
				t.Helper()
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("containers %s: %s = %v, want %v", w.ID, field, got, want)
				}
			}
			eq("runtime", c.Runtime, w.Runtime)
			eq("name", str(c.Name), w.Name)
			eq("image", str(c.Image), w.Image)
			eq("sandbox", c.Sandbox, w.Sandbox)
			eq("host_network", c.HostNetwork, w.HostNet)
			podName, podUID := "", ""
			if c.Pod != nil {
				podName, podUID = c.Pod.Name, c.Pod.UID
			}
			eq("pod.name", podName, w.PodName)
			eq("pod.uid", podUID, w.PodUID)
			eq("netns_inode", c.NetnsInode, ino)
			has := map[int]bool{}
			for _, p := range c.PIDs {
				has[p] = true
			}
			if !has[w.PID] {
				t.Errorf("containers %s: pids %v lack the runtime's pid %d", w.ID, c.PIDs, w.PID)
			}
			for _, p := range w.NotPIDs {
				if has[p] {
					t.Errorf("containers %s: pids %v include %d (a monitor/supervisor in the host netns)", w.ID, c.PIDs, p)
				}
			}

			var ns *nsRec
			for _, x := range nss {
				if x.Inode == ino {
					ns = x
				}
			}
			if ns == nil {
				t.Fatalf("namespaces: netns %d not listed", ino)
			}
			if ns.Kind != w.Kind {
				t.Errorf("namespaces %d: kind %s, want %s", ino, ns.Kind, w.Kind)
			}
			if w.Kind != "host" {
				owner := ""
				if ns.Owner != nil {
					owner = ns.Owner.ID
				}
				if owner != w.Owner {
					t.Errorf("namespaces %d: owner %q, want %q", ino, owner, w.Owner)
				}
			}

			if w.Port != 0 {
				found := false
				for _, s := range socks {
					if s.Netns.Inode != ino || s.LocalPort != w.Port || s.State != "LISTEN" {
						continue
					}
					found = true
					if s.Container == nil || s.Container.ID != w.ID {
						t.Errorf("--all-containers: :%d in netns %d attributed to %+v, want %s", w.Port, ino, s.Container, w.ID)
					}
				}
				if !found {
					t.Errorf("--all-containers: no LISTEN :%d in netns %d", w.Port, ino)
				}
				found = false
				for _, a := range audit {
					if a.Netns.Inode != ino || a.Port != w.Port || !strings.HasPrefix(a.Proto, "tcp") {
						continue
					}
					found = true
					if a.Container == nil || a.Container.ID != w.ID {
						t.Errorf("audit: :%d in netns %d attributed to %+v, want %s", w.Port, ino, a.Container, w.ID)
					}
				}
				if !found {
					t.Errorf("audit: no listener :%d in netns %d", w.Port, ino)
				}
			}
			if w.Target != "" {
				compareTable(t, w)
			}
		})
		if ok {
			right++
		}
	}
	return right
}

// compareTable checks container/TARGET -tuln against netstat -tuln in the
// container's netns: byte for byte in a netns of its own, our row in the host's.
func compareTable(t *testing.T, w want) {
	t.Helper()
	var got, exp string
	for try := 0; try < 3; try++ {
		got = kns(t, "container/"+w.Target, "-tuln")
		var err error
		exp, err = netstatIn(w.PID, "-tuln")
		if err != nil {
			t.Fatal(err)
		}
		if w.SharedHost || got == exp {
			break
		}
	}
	if !w.SharedHost {
		if got != exp {
			t.Errorf("container/%s -tuln differs from netstat in its netns:\n--- kubectl-netstat\n%s\n--- netstat\n%s", w.Target, got, exp)
		}
		return
	}
	row := func(s string) string {
		for _, l := range strings.Split(s, "\n") {
			f := strings.Fields(l)
			if len(f) >= 6 && f[5] == "LISTEN" && strings.HasSuffix(f[3], ":"+strconv.Itoa(w.Port)) {
				return l
			}
		}
		return ""
	}
	if r := row(got); r == "" || r != row(exp) {
		t.Errorf("container/%s: row for :%d %q, netstat %q", w.Target, w.Port, r, row(exp))
	}
}

// tally collects the per-runtime figures for the summary line.
var tally struct {
	sync.Mutex
	cases, right int
}

func record(ws []want, right int) {
	tally.Lock()
	defer tally.Unlock()
	tally.cases += len(ws)
	tally.right += right
}

// knsExit runs the binary and returns its exit code, stdout and stderr.
func knsExit(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// checkNoPrefixMatch: a name prefix never selects a container; it is a
// one-line "not found" (exit 1), never another container's sockets.
func checkNoPrefixMatch(t *testing.T, name string) {
	t.Helper()
	p := name[:len(name)-3]
	code, stdout, stderr := knsExit(t, "container/"+p, "-tln")
	// Warnings may precede it (Docker leaves unmounted netns files for a while).
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if code != 1 || stdout != "" || !strings.HasPrefix(last, "kubectl-netstat: container/"+p+": ") {
		t.Errorf("container/%s (a name prefix): exit %d, stdout %q, stderr %q; want exit 1, no output, one error line", p, code, stdout, stderr)
	}
}
