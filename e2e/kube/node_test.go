//go:build linux

package kubee2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// A real node: containerd 1.6 (Debian's) and a real kubelet built by
// hack/kube-bins.sh, started for the test against the package's apiserver,
// (README "Testing against a real node"). Both run in a mount namespace
// of their own (held by a sleeping process) so the sysctls the kubelet writes
// land in regular files, and "/" can be rshared for the agent's hostPath
// without touching the host's propagation.
//
// Paths: containerd's state dir is /run/k3s/containerd, one of the state
// roots inspect knows (k3s's), so the local path reads the bundles as on a
// real node without colliding with a system containerd at /run/containerd
// or dockerd's; its root, the kubelet's root, CNI config and IPAM state live
// under /var/lib/kns-node-TAG. The pod network is macvlan on an empty bridge
// with a /28 of 203.0.113.0/24 (documentation range): no uplink, no routes.

const (
	nodeName = "localhost" // the apiserver dials the node's Hostname address: /etc/hosts maps it to 127.0.0.1
	// the image the agent runs for a development build (kube.DefaultImage) and hack/agent-image.sh's default tag
	nodeAgentImage = "ghcr.io/kubectl-netstat/kubectl-netstat:latest"
	nodePauseImage = "localhost/kubectl-netstat/pause:local"
	k3sState       = "/run/k3s/containerd"
)

// realNode is the running node; stop undoes everything start did.
type realNode struct {
	t        *testing.T
	tag      string
	dir      string // /var/lib/kns-node-TAG
	sock     string
	bridge   string
	nodeIP   string
	subnet   *net.IPNet
	kubectl  string
	holder   *nodeProc
	procs    []*nodeProc // containerd, kubelet
	logs     map[string]string
	cs       kubernetes.Interface
	created  []string // host paths this node created and must remove (dirs, if still empty)
	cgroups  bool     // kubepods cgroups are ours
	netnsMnt bool     // the /run/netns self-bind mount is ours
	netnsMu  sync.Mutex
	netns    map[string]bool // /run/netns entries of our pods
	workload string          // image ref of the test workload
	imgDir   string          // agent-image.tar and pause-image.tar
}

// nodeSkip skips or, with KNS_KUBE_E2E set, fails.
func nodeSkip(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("KNS_KUBE_E2E") != "" {
		t.Fatalf("%s (KNS_KUBE_E2E is set, so this is a failure)", msg)
	}
	t.Skip(msg)
}

func nodeRandTag() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startRealNode brings the node up and registers its tear-down.
func startRealNode(t *testing.T, c *cluster) *realNode {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a real node needs root (containerd, kubelet, mounts)")
	}
	bin := binDir()
	need := map[string]string{
		"kubelet": filepath.Join(bin, "kubelet"), "kubectl": filepath.Join(bin, "kubectl"),
	}
	for _, name := range []string{"containerd", "ctr", "containerd-shim-runc-v2", "runc", "unshare", "nsenter", "netstat", "ip"} {
		p, err := exec.LookPath(name)
		if err != nil {
			nodeSkip(t, "%s not found; install containerd runc util-linux net-tools iproute2", name)
		}
		need[name] = p
	}
	for name, p := range need {
		if _, err := os.Stat(p); err != nil {
			nodeSkip(t, "%s missing (%s); run hack/kube-bins.sh to build kubelet and kubectl", name, p)
		}
	}
	for _, p := range []string{"/usr/lib/cni/macvlan", "/usr/lib/cni/host-local", "/usr/lib/cni/loopback", "/bin/busybox"} {
		if _, err := os.Stat(p); err != nil {
			nodeSkip(t, "%s missing; install containernetworking-plugins busybox-static", p)
		}
	}
	if _, err := os.Stat(k3sState); err == nil {
		t.Fatalf("%s exists: another containerd (or a crashed run) uses it; stop it or remove the directory", k3sState)
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory/kubepods"); err == nil {
		t.Fatalf("/sys/fs/cgroup/memory/kubepods exists: another kubelet runs on this host")
	}

	n := &realNode{t: t, tag: nodeRandTag(), kubectl: need["kubectl"], logs: map[string]string{}, netns: map[string]bool{},
		cs: adminClient(t, c)}
	n.bridge = "knsbr" + n.tag
	n.dir = "/var/lib/kns-node-" + n.tag
	n.sock = k3sState + "/containerd.sock"
	t.Cleanup(n.stop)
	start := time.Now()
	n.mkdirs()
	n.network()
	n.images()
	n.mountNamespace()
	n.startContainerd(need["containerd"])
	n.importImages()
	n.startKubelet(c, need["kubelet"])
	n.waitReady()
	t.Logf("real node %s up in %s (bridge %s, node IP %s, pods %s)", nodeName, time.Since(start).Round(time.Millisecond), n.bridge, n.nodeIP, n.subnet)
	return n
}

// mkdirHost creates dir and remembers it when it did not exist.
func (n *realNode) mkdirHost(dir string) {
	n.t.Helper()
	if _, err := os.Stat(dir); err == nil {
		return
	}
	// Record every missing ancestor, outermost last, so removal goes inside out.
	var missing []string
	for d := dir; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		n.t.Fatal(err)
	}
	n.created = append(n.created, missing...)
}

func (n *realNode) mkdirs() {
	n.t.Helper()
	for _, d := range []string{"containerd", "kubelet", "cni", "ipam", "opt", "images", "logs", "podlogs", "varlogcontainers", "varlibkubelet", "sysctl"} {
		if err := os.MkdirAll(filepath.Join(n.dir, d), 0o700); err != nil {
			n.t.Fatal(err)
		}
	}
	n.mkdirHost(k3sState)
	n.mkdirHost("/run/netns")
	n.mkdirHost("/var/log/containers")
	n.mkdirHost("/var/lib/kubelet")
	// containerd 1.6 puts shim sockets under /run/containerd/s whatever its state dir.
	n.mkdirHost("/run/containerd/s")
}

// network: an empty bridge with the node IP; pods get macvlan ports on it.
func (n *realNode) network() {
	n.t.Helper()
	out, _ := exec.Command("ip", "-4", "-o", "addr").CombinedOutput()
	var subnet *net.IPNet
	for range 64 {
		k, _ := rand.Int(rand.Reader, big.NewInt(16))
		_, s, _ := net.ParseCIDR(fmt.Sprintf("203.0.113.%d/28", k.Int64()*16))
		if !overlaps(string(out), s) {
			subnet = s
			break
		}
	}
	if subnet == nil {
		n.t.Fatal("no free /28 in 203.0.113.0/24 for the pod network")
	}
	n.subnet = subnet
	ip := subnet.IP.To4()
	n.nodeIP = net.IPv4(ip[0], ip[1], ip[2], ip[3]+1).String()
	nodeRun(n.t, "ip", "link", "add", n.bridge, "type", "bridge")
	nodeRun(n.t, "ip", "addr", "add", n.nodeIP+"/28", "dev", n.bridge)
	nodeRun(n.t, "ip", "link", "set", n.bridge, "up")
	conf := fmt.Sprintf(`{"cniVersion": "0.4.0", "name": "kns-%s", "plugins": [{
  "type": "macvlan", "master": %q, "mode": "bridge",
  "ipam": {"type": "host-local", "dataDir": %q,
    "ranges": [[{"subnet": %q, "rangeStart": "%s", "rangeEnd": "%s"}]]}}]}
`, n.tag, n.bridge, filepath.Join(n.dir, "ipam"), subnet.String(),
		net.IPv4(ip[0], ip[1], ip[2], ip[3]+2), net.IPv4(ip[0], ip[1], ip[2], ip[3]+14))
	nodeWriteFile(n.t, filepath.Join(n.dir, "cni", "10-kns.conflist"), conf)
}

// overlaps reports whether `ip -o addr` output has an address inside s.
func overlaps(ipAddr string, s *net.IPNet) bool {
	for _, f := range strings.Fields(ipAddr) {
		if ip, _, err := net.ParseCIDR(f); err == nil && s.Contains(ip) {
			return true
		}
	}
	return false
}

// images builds the agent and pause images with hack/agent-image.sh (or
// takes KNS_AGENT_IMAGES, a directory it already wrote) and the workload
// image: busybox (sh, cat for --method exec) and hack/listen.
func (n *realNode) images() {
	n.t.Helper()
	root := nodeRepoRoot(n.t)
	imgs := os.Getenv("KNS_AGENT_IMAGES")
	if imgs == "" {
		imgs = filepath.Join(n.dir, "images")
		start := time.Now()
		if out, err := exec.Command(filepath.Join(root, "hack", "agent-image.sh"), imgs).CombinedOutput(); err != nil {
			n.t.Fatalf("hack/agent-image.sh: %v\n%s", err, out)
		}
		n.t.Logf("hack/agent-image.sh built the agent and pause images in %s", time.Since(start).Round(time.Second))
	}
	for _, f := range []string{"agent-image.tar", "pause-image.tar"} {
		if _, err := os.Stat(filepath.Join(imgs, f)); err != nil {
			n.t.Fatalf("%v (KNS_AGENT_IMAGES names hack/agent-image.sh's output directory)", err)
		}
	}
	work := n.t.TempDir()
	tool := filepath.Join(work, "ociimage")
	listen := filepath.Join(work, "listen")
	build := exec.Command("go", "build", "-o", tool, ".")
	build.Dir = filepath.Join(root, "hack", "ociimage")
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		n.t.Fatalf("build hack/ociimage: %v\n%s", err, out)
	}
	build = exec.Command("go", "build", "-o", listen, "./hack/listen")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		n.t.Fatalf("build hack/listen: %v\n%s", err, out)
	}
	n.workload = "localhost/kns-e2e/workload:" + n.tag
	nodeRun(n.t, tool, "-name", n.workload, "-o", filepath.Join(n.dir, "images", "workload.tar"),
		"/bin/busybox=/bin/busybox", listen+"=/listen", "/bin/sh@busybox", "/bin/cat@busybox", "/bin/sleep@busybox")
	n.imgDir = imgs
}

func nodeRepoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// mountNamespace starts the holder of the node's mount namespace. /run/netns
// is made a shared mount on the host first (by `ip netns add`), so the pods'
// cni-* netns names are visible on the host too.
func (n *realNode) mountNamespace() {
	n.t.Helper()
	if !isSharedMount("/run/netns") {
		// iproute2 makes /run/netns a recursive, shared self-bind without
		// hiding netns mounts already below it; let it do exactly that.
		probe := "kns-probe-" + n.tag
		nodeRun(n.t, "ip", "netns", "add", probe)
		nodeRun(n.t, "ip", "netns", "del", probe)
		n.netnsMnt = isSharedMount("/run/netns")
	}
	var script strings.Builder
	script.WriteString("set -e\nmount --make-rshared /\n")
	for _, s := range []string{"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes"} {
		f := filepath.Join(n.dir, "sysctl", strings.ReplaceAll(s, "/", "."))
		fmt.Fprintf(&script, "if [ -e /proc/sys/%[1]s ]; then cat /proc/sys/%[1]s > %[2]s; mount --bind %[2]s /proc/sys/%[1]s; fi\n", s, f)
	}
	// Paths the kubelet hard-codes (container log links, device-plugins
	// socket) stay in the node's own directory.
	fmt.Fprintf(&script, "mount --bind %s /var/log/containers\n", filepath.Join(n.dir, "varlogcontainers"))
	fmt.Fprintf(&script, "mount --bind %s /var/lib/kubelet\n", filepath.Join(n.dir, "varlibkubelet"))
	script.WriteString("echo ready\nexec sleep 2147483647\n")
	cmd := exec.Command("unshare", "-m", "--propagation", "unchanged", "--", "/bin/sh", "-c", script.String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	var out bytes.Buffer
	pr, pw, err := os.Pipe()
	if err != nil {
		n.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, &out
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	pw.Close()
	n.holder = watchProc("mount namespace holder", cmd)
	line, err := bufio.NewReader(pr).ReadString('\n')
	pr.Close()
	if err != nil || line != "ready\n" {
		<-n.holder.done
		n.t.Fatalf("mount namespace holder: %v %q\n%s", err, line, out.String())
	}
}

// mountsBelow reports whether this mount namespace has a mount point under prefix.
func mountsBelow(prefix string) bool {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], prefix) {
			return true
		}
	}
	return false
}

func isSharedMount(path string) bool {
	out, err := exec.Command("findmnt", "-n", "-o", "PROPAGATION", "--mountpoint", path).Output()
	return err == nil && strings.Contains(string(out), "shared")
}

// inNS starts bin in the node's mount namespace with nofile 20000 (the hard
// limit root has here), logging to dir/logs/name.log.
func (n *realNode) inNS(name string, argv ...string) {
	n.t.Helper()
	logPath := filepath.Join(n.dir, "logs", name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		n.t.Fatal(err)
	}
	defer f.Close()
	args := append([]string{"-t", strconv.Itoa(n.holder.cmd.Process.Pid), "-m", "--", "/bin/sh", "-c", `ulimit -n 20000 && exec "$@"`, name}, argv...)
	cmd := exec.Command("nsenter", args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.procs = append(n.procs, watchProc(name, cmd))
	n.logs[name] = logPath
}

func (n *realNode) tail(name string) string {
	b, _ := os.ReadFile(n.logs[name])
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (n *realNode) startContainerd(bin string) {
	n.t.Helper()
	cfg := fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = %[3]q
[ttrpc]
  address = ""
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = %[4]q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[5]q
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = %[6]q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[7]q
`, filepath.Join(n.dir, "containerd"), k3sState, n.sock, filepath.Join(n.dir, "opt"), nodePauseImage,
		filepath.Join(k3sState, "runc"), filepath.Join(n.dir, "cni"))
	path := filepath.Join(n.dir, "containerd.toml")
	nodeWriteFile(n.t, path, cfg)
	n.inNS("containerd", bin, "--config", path)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := exec.CommandContext(ctx, "ctr", "-a", n.sock, "version").Run()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("containerd not serving %s after 2m: %v\n%s", n.sock, err, n.tail("containerd"))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func (n *realNode) ctr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ctr", append([]string{"-a", n.sock, "-n", "k8s.io"}, args...)...).CombinedOutput()
	return string(out), err
}

func (n *realNode) importImages() {
	n.t.Helper()
	for _, f := range []string{filepath.Join(n.imgDir, "agent-image.tar"), filepath.Join(n.imgDir, "pause-image.tar"), filepath.Join(n.dir, "images", "workload.tar")} {
		if out, err := n.ctr("images", "import", f); err != nil {
			n.t.Fatalf("ctr images import %s: %v\n%s", f, err, out)
		}
	}
	out, err := n.ctr("images", "ls", "-q")
	if err != nil {
		n.t.Fatal(err)
	}
	for _, want := range []string{nodeAgentImage, nodePauseImage, n.workload} {
		if !strings.Contains(out, want+"\n") {
			n.t.Fatalf("containerd lacks %s after import; it has:\n%s", want, out)
		}
	}
}

func (n *realNode) startKubelet(c *cluster, bin string) {
	n.t.Helper()
	ports, err := freePorts(2)
	if err != nil {
		n.t.Fatal(err)
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory/kubepods"); err != nil {
		n.cgroups = true
	}
	cfg := fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
address: 127.0.0.1
port: %d
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %d
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
protectKernelDefaults: false
containerRuntimeEndpoint: unix://%s
podLogsDir: %s
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "1Mi"
  nodefs.available: "1%%"
  imagefs.available: "1%%"
syncFrequency: 5s
fileCheckFrequency: 5s
serializeImagePulls: false
`, ports[0], ports[1], n.sock, filepath.Join(n.dir, "podlogs"))
	path := filepath.Join(n.dir, "kubelet.yaml")
	nodeWriteFile(n.t, path, cfg)
	n.inNS("kubelet", bin, "--config", path, "--kubeconfig", c.adminKubeconfig,
		"--root-dir", filepath.Join(n.dir, "kubelet"), "--cert-dir", filepath.Join(n.dir, "kubelet", "pki"), "--hostname-override", nodeName,
		"--node-ip", n.nodeIP, "--v=1")
}

// waitReady polls for the Node to be Ready: generous, the machine is shared.
func (n *realNode) waitReady() {
	n.t.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	var last string
	for time.Now().Before(deadline) {
		node, err := n.cs.CoreV1().Nodes().Get(context.Background(), nodeName, metav1.GetOptions{})
		if err == nil {
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady {
					if c.Status == corev1.ConditionTrue {
						return
					}
					last = c.Reason + ": " + c.Message
				}
			}
		} else {
			last = err.Error()
		}
		for _, p := range n.procs {
			select {
			case <-p.done:
				n.t.Fatalf("%s exited: %s\n%s", p.name, p.cmd.ProcessState, n.tail(p.name))
			default:
			}
		}
		time.Sleep(time.Second)
	}
	n.t.Fatalf("node %s not Ready after 4m: %s\nkubelet:\n%s\ncontainerd:\n%s", nodeName, last, n.tail("kubelet"), n.tail("containerd"))
}

// runPod creates a pod on the node and waits until every container runs.
func (n *realNode) runPod(ns string, p *corev1.Pod) *corev1.Pod {
	n.t.Helper()
	p.Namespace = ns
	p.Spec.NodeName = nodeName
	p.Spec.TerminationGracePeriodSeconds = ptrTo[int64](1)
	p.Spec.AutomountServiceAccountToken = ptrTo(false)
	p.Spec.EnableServiceLinks = ptrTo(false)
	for i := range p.Spec.Containers {
		p.Spec.Containers[i].Image = n.workload
		p.Spec.Containers[i].ImagePullPolicy = corev1.PullNever
	}
	ctx := context.Background()
	if _, err := n.cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		n.t.Fatal(err)
	}
	deadline := time.Now().Add(4 * time.Minute)
	for {
		got, err := n.cs.CoreV1().Pods(ns).Get(ctx, p.Name, metav1.GetOptions{})
		if err == nil && got.Status.Phase == corev1.PodRunning && len(got.Status.ContainerStatuses) == len(p.Spec.Containers) {
			ready := true
			for _, s := range got.Status.ContainerStatuses {
				ready = ready && s.State.Running != nil
			}
			if ready {
				n.recordNetns(got)
				return got
			}
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("pod %s/%s not running after 4m: %v %+v\nkubelet:\n%s", ns, p.Name, err, got.Status, n.tail("kubelet"))
		}
		time.Sleep(time.Second)
	}
}

// podPid is the host pid of a container's init, from containerd.
func (n *realNode) podPid(p *corev1.Pod, container string) int {
	n.t.Helper()
	for _, s := range p.Status.ContainerStatuses {
		if s.Name != container {
			continue
		}
		id := strings.TrimPrefix(s.ContainerID, "containerd://")
		b, err := os.ReadFile(filepath.Join(k3sState, "io.containerd.runtime.v2.task", "k8s.io", id, "init.pid"))
		if err != nil {
			n.t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			n.t.Fatal(err)
		}
		return pid
	}
	n.t.Fatalf("pod %s has no container %s", p.Name, container)
	return 0
}

// recordNetns remembers the /run/netns entry of the pod's netns, so tear-down
// can remove it even if containerd did not.
func (n *realNode) recordNetns(p *corev1.Pod) {
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", n.podPid(p, p.Spec.Containers[0].Name)), &st); err != nil {
		return
	}
	ents, _ := filepath.Glob("/run/netns/cni-*")
	for _, e := range ents {
		var es syscall.Stat_t
		if syscall.Stat(e, &es) == nil && es.Ino == st.Ino && es.Dev == st.Dev {
			n.netnsMu.Lock()
			n.netns[e] = true
			n.netnsMu.Unlock()
		}
	}
}

// stop tears everything down in reverse: pods (through the kubelet, which
// stops the sandboxes and runs CNI DEL), kubelet, containerd, any shim left,
// the namespace holder, the pods' netns mounts, cgroups, the bridge and
// every directory.
func (n *realNode) stop() {
	t := n.t
	start := time.Now()
	ctx := context.Background()
	if len(n.procs) == 2 && n.procs[1].running() {
		pods, _ := n.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + nodeName})
		if pods != nil {
			for _, p := range pods.Items {
				_ = n.cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptrTo[int64](0)})
			}
		}
		// The kubelet stops the sandboxes of deleted pods; wait for the tasks to go.
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			out, err := n.ctr("tasks", "ls", "-q")
			if err == nil && strings.TrimSpace(out) == "" {
				break
			}
			time.Sleep(time.Second)
		}
	}
	for i := len(n.procs) - 1; i >= 0; i-- {
		stopProc(n.procs[i])
	}
	// Shims outlive containerd; they name our socket on their command line.
	for _, pid := range pidsMatching(func(cmdline string) bool {
		return strings.Contains(cmdline, "containerd-shim") && strings.Contains(cmdline, n.sock)
	}) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if n.cgroups {
		killCgroup("kubepods")
	}
	if n.holder != nil {
		stopProc(n.holder)
	}
	n.netnsMu.Lock()
	for e := range n.netns {
		_ = syscall.Unmount(e, syscall.MNT_DETACH)
		_ = os.Remove(e)
	}
	n.netnsMu.Unlock()
	// Undo the self-bind unless someone (ip netns add) has mounted below it since.
	if n.netnsMnt && !mountsBelow("/run/netns/") {
		_ = syscall.Unmount("/run/netns", syscall.MNT_DETACH)
	}
	if n.cgroups {
		removeCgroup("kubepods")
	}
	if n.bridge != "" {
		_ = exec.Command("ip", "link", "del", n.bridge).Run()
	}
	_ = n.cs.CoreV1().Nodes().Delete(ctx, nodeName, metav1.DeleteOptions{})
	// containerd's CNI result cache; other runtimes' files stay.
	if res, _ := filepath.Glob("/var/lib/cni/results/kns-" + n.tag + "-*"); len(res) > 0 {
		for _, r := range res {
			_ = os.Remove(r)
		}
	}
	if err := os.RemoveAll(k3sState); err != nil {
		t.Errorf("tear-down: %v", err)
	}
	if n.dir != "" {
		if err := os.RemoveAll(n.dir); err != nil {
			t.Errorf("tear-down: %v", err)
		}
	}
	for _, d := range n.created {
		_ = os.Remove(d) // only when empty: another user may have put something there
	}
	// Nothing of ours may stay behind.
	left := []string{k3sState, n.dir}
	if n.cgroups {
		left = append(left, "/sys/fs/cgroup/memory/kubepods")
	}
	left = append(left, n.created...)
	for _, p := range left {
		if _, err := os.Stat(p); err == nil && p != "/run/containerd/s" && p != "/run/containerd" {
			t.Errorf("tear-down left %s", p)
		}
	}
	if _, err := exec.Command("ip", "link", "show", n.bridge).CombinedOutput(); err == nil {
		t.Errorf("tear-down left bridge %s", n.bridge)
	}
	if left := pidsMatching(func(c string) bool { return strings.Contains(c, n.sock) || strings.Contains(c, n.dir) }); len(left) > 0 {
		t.Errorf("tear-down left processes %v", left)
	}
	t.Logf("real node torn down in %s", time.Since(start).Round(time.Millisecond))
}

// nodeProc is a started process and a channel closed when it has exited.
type nodeProc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func watchProc(name string, cmd *exec.Cmd) *nodeProc {
	p := &nodeProc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p
}

func (p *nodeProc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stopProc sends SIGTERM, then SIGKILL after 20 s.
func stopProc(p *nodeProc) {
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// pidsMatching lists processes whose NUL-joined command line matches.
func pidsMatching(match func(cmdline string) bool) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		if match(strings.ReplaceAll(string(b), "\x00", " ")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cgroupMounts are the v1 hierarchies and cgroup2 (hybrid host).
func cgroupMounts() []string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*")
	var out []string
	for _, d := range dirs {
		if fi, err := os.Lstat(d); err == nil && fi.IsDir() {
			out = append(out, d)
		}
	}
	return out
}

// killCgroup SIGKILLs every process left below rel in any hierarchy.
func killCgroup(rel string) {
	for _, m := range cgroupMounts() {
		_ = filepath.WalkDir(filepath.Join(m, rel), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			b, _ := os.ReadFile(p)
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			return nil
		})
	}
}

// removeCgroup removes rel's tree bottom-up in every hierarchy, retrying
// while killed processes exit.
func removeCgroup(rel string) {
	deadline := time.Now().Add(30 * time.Second)
	for _, m := range cgroupMounts() {
		root := filepath.Join(m, rel)
		for {
			var dirs []string
			_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					dirs = append(dirs, p)
				}
				return nil
			})
			var failed error
			for i := len(dirs) - 1; i >= 0; i-- {
				if err := syscall.Rmdir(dirs[i]); err != nil && !errors.Is(err, syscall.ENOENT) {
					failed = err
				}
			}
			if failed == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func nodeRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func nodeWriteFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
