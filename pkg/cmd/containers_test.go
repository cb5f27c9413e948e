//go:build linux

package cmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
)

// buildListen compiles hack/listen once per test binary.
func buildListen(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "listen")
	out, err := exec.Command("go", "build", "-o", bin, "../../hack/listen").CombinedOutput()
	if err != nil {
		t.Fatalf("build hack/listen: %v\n%s", err, out)
	}
	return bin
}

// joinCgroupOf moves pid into the unified cgroup of target, so the
// listener counts as one of target's container processes.
func joinCgroupOf(t *testing.T, pid, target int) {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(target) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	mnt, err := fixture.CgroupV2Mount()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			if err := os.WriteFile(filepath.Join(mnt, p, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("pid %d has no unified cgroup", target)
}

func netnsInode(t *testing.T, pid int) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatUint(st.Ino, 10)
}

// TestContainerTagging builds a containerd pod (app + sidecar sharing the
// sandbox netns), a Docker container and a hostNetwork pod from real
// processes, cgroups and state files, then checks that every listener is
// tagged with the container whose process holds it.
func TestContainerTagging(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and cgroups")
	}
	listen := buildListen(t)
	sc := fixture.New(t)
	web := sc.ContainerdPod(fixture.PodSpec{Namespace: "shop", Name: "web-7c5d9", Containers: []string{"app", "sidecar"}})
	redis := sc.DockerContainer("redis", fixture.DockerOpts{})
	hn := sc.ContainerdPod(fixture.PodSpec{Namespace: "monitoring", Name: "node-exporter-x1", Containers: []string{"exporter"}, HostNetwork: true})

	app := sc.Start(web.Procs["app"], "app-listen", listen, "0.0.0.0:18080")
	joinCgroupOf(t, app, sc.Pid(web.Procs["app"]))
	side := sc.Start(web.Procs["sidecar"], "sidecar-listen", listen, "127.0.0.1:15000")
	joinCgroupOf(t, side, sc.Pid(web.Procs["sidecar"]))
	rl := sc.Start(redis.Proc, "redis-listen", listen, "-udp", "0.0.0.0:6379")
	joinCgroupOf(t, rl, sc.Pid(redis.Proc))
	ex := sc.Start(hn.Procs["exporter"], "exporter-listen", listen, "127.0.0.1:19100")
	joinCgroupOf(t, ex, sc.Pid(hn.Procs["exporter"]))
	sc.WaitListening(app, 18080)
	sc.WaitListening(side, 15000)
	sc.WaitListening(rl, 6379)
	sc.WaitListening(ex, 19100)

	out, stderr, code := runCmd(t, "--all-containers", "-tulpn", "-o", "wide", "--host-root", sc.HostRoot)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := map[string][]string{ // local address → runtime, namespace, pod, container
		"0.0.0.0:18080":   {"containerd", "shop", "web-7c5d9", "app"},
		"127.0.0.1:15000": {"containerd", "shop", "web-7c5d9", "sidecar"},
		"0.0.0.0:6379":    {"docker", "-", "-", "redis"},
		"127.0.0.1:19100": {"containerd", "monitoring", "node-exporter-x1", "exporter"},
	}
	// Other work on this machine (another demo, say) may listen on the same
	// ports: only rows in this scene's namespaces count.
	ours := map[string]bool{}
	for _, p := range []int{app, rl, ex} {
		ours[netnsInode(t, p)] = true
	}
	seen := map[string]int{}
	sc2 := bufio.NewScanner(strings.NewReader(out))
	for sc2.Scan() {
		f := strings.Fields(sc2.Text())
		if len(f) < 12 || !ours[f[len(f)-5]] {
			continue
		}
		tags, ok := want[f[3]]
		if !ok {
			continue
		}
		seen[f[3]]++
		got := f[len(f)-4:]
		if strings.Join(got, " ") != strings.Join(tags, " ") {
			t.Errorf("%s %s tagged %v, want %v", f[0], f[3], got, tags)
		}
	}
	for addr := range want {
		if seen[addr] == 0 {
			t.Errorf("listener %s missing from --all-containers output:\n%s", addr, out)
		}
	}
	if seen["0.0.0.0:6379"] != 2 {
		t.Errorf("redis should show tcp and udp on 6379, saw %d rows", seen["0.0.0.0:6379"])
	}

	// Text mode: one "# netns" line per namespace naming pod and containers.
	out, _, _ = runCmd(t, "--all-containers", "-tln", "--host-root", sc.HostRoot)
	if !strings.Contains(out, " pod shop/web-7c5d9 (containerd) containers: app, sidecar") {
		t.Errorf("no netns line for the pod:\n%s", out)
	}

	// container/NAME shows exactly that container's namespace, in plain netstat text.
	out, stderr, code = runCmd(t, "container/sidecar", "-tln", "--host-root", sc.HostRoot)
	if code != 0 {
		t.Fatalf("container/sidecar: exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "# netns") || !strings.Contains(out, "127.0.0.1:15000") ||
		!strings.Contains(out, "0.0.0.0:18080") || strings.Contains(out, ":6379") {
		t.Errorf("container/sidecar output:\n%s", out)
	}

	// The pod by name, narrowed to one container with --container.
	out, stderr, code = runCmd(t, "web-7c5d9", "--container", "app", "-tln", "--host-root", sc.HostRoot)
	if code != 0 || !strings.Contains(out, ":18080") || strings.Contains(out, ":15000") {
		t.Errorf("web-7c5d9 --container app: exit %d %s\n%s", code, stderr, out)
	}

	// JSON carries the pod tags.
	out, _, code = runCmd(t, "container/redis", "-tulpn", "-o", "json", "--host-root", sc.HostRoot)
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil || code != 0 {
		t.Fatalf("json: %v (exit %d)\n%s", err, code, out)
	}
	if len(recs) != 2 {
		t.Errorf("container/redis: %d records, want 2", len(recs))
	}
	for _, r := range recs {
		c, _ := r["container"].(map[string]any)
		if c == nil || c["name"] != "redis" || c["runtime"] != "docker" || c["id"] != redis.ID {
			t.Errorf("record container = %v", r["container"])
		}
	}
	out, _, _ = runCmd(t, "pod/shop/web-7c5d9", "-tln", "-o", "json", "--host-root", sc.HostRoot)
	if !strings.Contains(out, `"name": "web-7c5d9"`) || !strings.Contains(out, `"namespace": "shop"`) {
		t.Errorf("pod JSON lacks pod tags:\n%s", out)
	}

	// Unknown targets: exit 1, one line naming the target.
	_, stderr, code = runCmd(t, "container/no-such-container", "-tln", "--host-root", sc.HostRoot)
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "no-such-container") {
		t.Errorf("unknown container: exit %d, stderr %q", code, stderr)
	}
}

// TestAuditExitCodes checks `audit` against fixture listeners and policies.
func TestAuditExitCodes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and cgroups")
	}
	listen := buildListen(t)
	sc := fixture.New(t)
	web := sc.ContainerdPod(fixture.PodSpec{Namespace: "shop", Name: "web-audit", Containers: []string{"app"}})
	l := sc.Start(web.Procs["app"], "app-listen", listen, "0.0.0.0:18081", "127.0.0.1:18082")
	joinCgroupOf(t, l, sc.Pid(web.Procs["app"]))
	sc.WaitListening(l, 18081)
	sc.WaitListening(l, 18082)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Allow everything but the wildcard listener on 18081 of this pod.
	strict := write("strict.yaml", "default: allow\nrules:\n  - action: deny\n    match:\n      pod: web-audit\n      port: 18081\n      exposure: all-interfaces\n")
	lenient := write("lenient.yaml", "default: allow\nrules: []\n")
	bad := write("bad.yaml", "default: deny\nrules:\n  - action: allow\n    match:\n      port: 90-80\n")

	out, stderr, code := runCmd(t, "audit", "--policy", strict, "--host-root", sc.HostRoot)
	if code != 1 {
		t.Errorf("strict policy: exit %d, want 1 (stderr %s)", code, stderr)
	}
	var violations []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "VIOLATION") {
			violations = append(violations, line)
		}
	}
	if len(violations) != 1 || !strings.Contains(violations[0], "18081") || !strings.Contains(violations[0], "app") {
		t.Errorf("violations = %q\n%s", violations, out)
	}
	if _, stderr, code = runCmd(t, "audit", "--policy", lenient, "--host-root", sc.HostRoot); code != 0 {
		t.Errorf("lenient policy: exit %d, want 0 (%s)", code, stderr)
	}
	_, stderr, code = runCmd(t, "audit", "--policy", bad, "--host-root", sc.HostRoot)
	if code != 2 || !strings.Contains(stderr, bad+":5:") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("bad policy: exit %d, stderr %q", code, stderr)
	}
	out, _, code = runCmd(t, "audit", "--policy", strict, "-o", "json", "--host-root", sc.HostRoot)
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil || code != 1 {
		t.Fatalf("json: %v, exit %d", err, code)
	}
	found := false
	for _, r := range recs {
		if r["port"] == float64(18082) {
			found = true
			if r["exposure"] != "loopback" {
				t.Errorf("18082 exposure = %v", r["exposure"])
			}
		}
	}
	if !found {
		t.Errorf("loopback listener 18082 missing from audit JSON")
	}
}

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAuditWatch runs `audit --watch 1 -o ndjson` and opens, then closes, a
// listener in a fixture pod: the watch prints an "opened" and then a
// "closed" event for exactly that listener.
func TestAuditWatch(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and cgroups")
	}
	listen := buildListen(t)
	sc := fixture.New(t)
	web := sc.ContainerdPod(fixture.PodSpec{Namespace: "shop", Name: "web-watch", Containers: []string{"app"}})
	var out, errOut syncBuffer
	o := newNetstatOptions(genericiooptions.IOStreams{Out: &out, ErrOut: &errOut})
	o.pre = preprocess([]string{"audit", "--watch", "1", "-o", "ndjson", "--host-root", sc.HostRoot})
	cmd := newRootCmd(o)
	cmd.SetArgs(o.pre.args)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("audit --watch: %v (stderr %s)", err, errOut.String())
		}
	}()
	waitFor := func(event string) {
		t.Helper()
		for i := 0; i < 100; i++ {
			for _, line := range strings.Split(out.String(), "\n") {
				var ev struct {
					Event string `json:"event"`
					Port  int    `json:"port"`
					Time  string `json:"time"`
				}
				if json.Unmarshal([]byte(line), &ev) == nil && ev.Event == event && ev.Port == 18093 && ev.Time != "" {
					return
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("no %q event for port 18093 in:\n%s\nstderr: %s", event, out.String(), errOut.String())
	}
	time.Sleep(500 * time.Millisecond) // let the first pass run without the listener
	pid := sc.Start(web.Procs["app"], "watch-listen", listen, "0.0.0.0:18093")
	sc.WaitListening(pid, 18093)
	waitFor("opened")
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor("closed")
}
