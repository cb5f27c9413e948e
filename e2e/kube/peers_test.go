//go:build linux

package kubee2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
)

// peerScene is a set of API objects whose addresses are put on the loopback
// of a private network namespace, with real connections between them, so
// the resolver names real sockets. Every address is a documentation range.
type peerScene struct {
	ns, tag   string
	netns     string // ip netns name
	nodeName  string
	clusterIP string
}

const (
	ipWeb     = "192.0.2.10"     // Running pod behind the ClusterIP Service, containerPort "http"
	ipDB      = "192.0.2.11"     // Running pod behind a headless Service; the client of every connection
	ipStale   = "192.0.2.12"     // a Succeeded pod's old address
	ipTwin    = "192.0.2.13"     // two Running pods claim it
	ipUnknown = "192.0.2.99"     // nobody's
	ipNode    = "198.51.100.200" // outside the harness's service range 198.51.100.0/25
)

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// podWithIP creates a pod and writes its status (phase, IP) through the
// status subresource, as a kubelet would.
func podWithIP(t *testing.T, cs kubernetes.Interface, ns, name, ip string, phase corev1.PodPhase, mut func(*corev1.Pod)) {
	t.Helper()
	ctx := context.Background()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}},
	}
	if mut != nil {
		mut(p)
	}
	p, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Phase = phase
	p.Status.PodIP = ip
	p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func newPeerScene(t *testing.T, c *cluster) *peerScene {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip")
	}
	cs := adminClient(t, c)
	ctx := context.Background()
	s := &peerScene{ns: testNamespace(t, cs), tag: fixture.RandHex(4)}
	isCtl := true
	podWithIP(t, cs, s.ns, "web-5d8f7-"+s.tag, ipWeb, corev1.PodRunning, func(p *corev1.Pod) {
		p.Labels = map[string]string{"app": "web", "pod-template-hash": "5d8f7"}
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d8f7",
			UID: types.UID("00000000-0000-4000-8000-" + s.tag + "00000000"), Controller: &isCtl}}
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	})
	podWithIP(t, cs, s.ns, "db-"+s.tag, ipDB, corev1.PodRunning, func(p *corev1.Pod) {
		p.Labels = map[string]string{"app": "db"}
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "postgres", ContainerPort: 5432}}
	})
	podWithIP(t, cs, s.ns, "old-"+s.tag, ipStale, corev1.PodSucceeded, nil)
	podWithIP(t, cs, s.ns, "twin-a-"+s.tag, ipTwin, corev1.PodRunning, nil)
	podWithIP(t, cs, s.ns, "twin-b-"+s.tag, ipTwin, corev1.PodRunning, nil)
	podWithIP(t, cs, s.ns, "hostnet-"+s.tag, ipNode, corev1.PodRunning, func(p *corev1.Pod) { p.Spec.HostNetwork = true })

	svc, err := cs.CoreV1().Services(s.ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web-" + s.tag},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.clusterIP = svc.Spec.ClusterIP
	if !strings.HasPrefix(s.clusterIP, "198.51.100.") {
		t.Fatalf("ClusterIP %q is outside the harness's documentation range", s.clusterIP)
	}
	if _, err := cs.CoreV1().Services(s.ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "db-" + s.tag},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "db"},
			Ports: []corev1.ServicePort{{Name: "pg", Port: 5432}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	s.nodeName = "kns-peer-" + s.tag
	node, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: s.nodeName}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), s.nodeName, metav1.DeleteOptions{}) })
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ipNode}, {Type: corev1.NodeHostName, Address: s.nodeName}}
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The addresses live on the loopback of a namespace of our own; no
	// packet leaves it.
	s.netns = "kns-peers-" + s.tag
	ipCmd(t, "netns", "add", s.netns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", s.netns).Run() })
	ipCmd(t, "-n", s.netns, "link", "set", "lo", "up")
	for _, a := range []string{ipWeb, ipDB, ipStale, ipTwin, ipUnknown, ipNode, s.clusterIP} {
		ipCmd(t, "-n", s.netns, "addr", "add", a+"/32", "dev", "lo")
	}
	targets := []string{ipWeb + ":8080", ipWeb + ":8080", s.clusterIP + ":80", ipDB + ":5432", ipStale + ":8080",
		ipTwin + ":8080", ipUnknown + ":8080", ipNode + ":10250"}
	s.startConns(t, ipDB, targets)
	return s
}

type peerRec struct {
	Kind      string  `json:"kind"`
	Namespace *string `json:"namespace"`
	Name      string  `json:"name"`
	PortName  *string `json:"port_name"`
}

func (p *peerRec) String() string {
	if p == nil {
		return "null"
	}
	s := p.Kind + " "
	if p.Namespace != nil {
		s += *p.Namespace + "/"
	}
	s += p.Name
	if p.PortName != nil {
		s += " " + *p.PortName
	}
	return s
}

type sockRec struct {
	LocalAddress   string   `json:"local_address"`
	LocalPort      int      `json:"local_port"`
	ForeignAddress string   `json:"foreign_address"`
	ForeignPort    int      `json:"foreign_port"`
	State          string   `json:"state"`
	ForeignPeer    *peerRec `json:"foreign_peer"`
	LocalPeer      *peerRec `json:"local_peer"`
}

// clientPeers maps "foreign_address:port" of the client sockets (those from
// ipDB to a listener) to their foreign_peer text.
func clientPeers(recs []sockRec) map[string]string {
	out := map[string]string{}
	for _, r := range recs {
		if r.State == "ESTABLISHED" && r.LocalAddress == ipDB && r.ForeignPort != 0 && r.LocalPort > 10250 {
			out[r.ForeignAddress+":"+itoa(r.ForeignPort)] = r.ForeignPeer.String()
		}
	}
	return out
}

func (s *peerScene) wantClientPeers(rbacLimited bool) map[string]string {
	want := map[string]string{
		ipWeb + ":8080":     "pod " + s.ns + "/web-5d8f7-" + s.tag + " http",
		s.clusterIP + ":80": "service " + s.ns + "/web-" + s.tag + " http",
		ipDB + ":5432":      "pod " + s.ns + "/db-" + s.tag + " postgres",
		ipStale + ":8080":   "null",
		ipTwin + ":8080":    "null",
		ipUnknown + ":8080": "null",
		ipNode + ":10250":   "node " + s.nodeName,
	}
	if rbacLimited {
		want[s.clusterIP+":80"] = "null"
		want[ipNode+":10250"] = "null"
	}
	return want
}

func decodeSockets(t *testing.T, stdout string) []sockRec {
	t.Helper()
	var recs []sockRec
	if err := json.Unmarshal([]byte(stdout), &recs); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	return recs
}

func diffPeers(t *testing.T, want, got map[string]string, stdout string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("foreign_peer of the connection to %s = %q, want %q", k, got[k], w)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", stdout)
	}
}

// TestPeerNames names real connections by the API's pods, Services and
// nodes: a pod (with its containerPort name), a ClusterIP Service (port
// name), a pod behind a headless Service, a node (shared with a hostNetwork
// pod), and leaves a stale IP, a reused IP and an unknown IP unnamed.
func TestPeerNames(t *testing.T) {
	c := needCluster(t)
	s := newPeerScene(t, c)
	bin := netstatBinary(t)
	target := "netns/" + s.netns

	stdout, stderr, code := runBinary(t, bin, target, "-tn", "--output", "json", "--kubeconfig", c.adminKubeconfig)
	if code != 0 || strings.Contains(stderr, "notice") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	recs := decodeSockets(t, stdout)
	diffPeers(t, s.wantClientPeers(false), clientPeers(recs), stdout)
	// The server side: the accepted socket's local end is the pod, its
	// foreign end the client pod.
	found := false
	for _, r := range recs {
		if r.LocalAddress == ipWeb && r.LocalPort == 8080 && r.State == "ESTABLISHED" {
			found = true
			if got, want := r.LocalPeer.String(), "pod "+s.ns+"/web-5d8f7-"+s.tag+" http"; got != want {
				t.Errorf("local_peer = %q, want %q", got, want)
			}
			if got, want := r.ForeignPeer.String(), "pod "+s.ns+"/db-"+s.tag; got != want {
				t.Errorf("server side foreign_peer = %q, want %q", got, want)
			}
		}
	}
	if !found {
		t.Errorf("no accepted socket on %s:8080\n%s", ipWeb, stdout)
	}

	// Wide: the FOREIGN column.
	wide, _, code := runBinary(t, bin, target, "-tn", "--output", "wide", "--kubeconfig", c.adminKubeconfig)
	if code != 0 {
		t.Fatalf("wide exit %d", code)
	}
	t.Logf("--output wide:\n%s", wide)
	for _, want := range []string{"svc/" + s.ns + "/web-" + s.tag + ":http", "node/" + s.nodeName, s.ns + "/db-" + s.tag + ":postgres"} {
		if !strings.Contains(wide, want) {
			t.Errorf("wide output lacks %q:\n%s", want, wide)
		}
	}

	// Text: under -n nothing changes; --resolve=k8s names the addresses
	// (uncut with -W), and without it the text is netstat's.
	plain, _, _ := runBinary(t, bin, target, "-tn")
	k8sNumeric, _, _ := runBinary(t, bin, target, "-tn", "--resolve=k8s", "--kubeconfig", c.adminKubeconfig)
	if plain != k8sNumeric {
		t.Errorf("-n output changed with --resolve=k8s:\n%s\nvs\n%s", plain, k8sNumeric)
	}
	named, stderr, code := runBinary(t, bin, target, "-tW", "--numeric-ports", "--resolve=k8s", "--kubeconfig", c.adminKubeconfig)
	if code != 0 {
		t.Fatalf("--resolve=k8s exit %d: %s", code, stderr)
	}
	t.Logf("-tW --numeric-ports --resolve=k8s:\n%s", named)
	for _, want := range []string{"svc/" + s.ns + "/web-" + s.tag + ":80 ", s.ns + "/web-5d8f7-" + s.tag + ":8080 ",
		"node/" + s.nodeName + ":10250 ", ipUnknown + ":8080 "} {
		if !strings.Contains(named, want) {
			t.Errorf("--resolve=k8s -W output lacks %q:\n%s", want, named)
		}
	}
	if strings.Contains(named, "old-"+s.tag) || strings.Contains(named, "twin-") || strings.Contains(named, "hostnet-") {
		t.Errorf("a stale, reused or hostNetwork pod was named:\n%s", named)
	}
	cut, _, _ := runBinary(t, bin, target, "-t", "--numeric-ports", "--resolve=k8s", "--kubeconfig", c.adminKubeconfig)
	for _, line := range strings.Split(cut, "\n") {
		if strings.HasPrefix(line, "tcp ") && len(line) > 0 {
			if f := strings.Fields(line); len(f) >= 5 && (len(f[3]) > 23 || len(f[4]) > 23) {
				t.Errorf("address longer than netstat's 23 bytes without -W: %q", line)
			}
		}
	}

	// audit: who is connected to each listener, by peer workload.
	auditOut, stderr, code := runBinary(t, bin, "audit", "-t", "--output", "json", "--kubeconfig", c.adminKubeconfig)
	if code != 0 {
		t.Fatalf("audit exit %d: %s", code, stderr)
	}
	var arecs []struct {
		Netns struct {
			Names []string `json:"names"`
		} `json:"netns"`
		Address string `json:"address"`
		Port    int    `json:"port"`
		Peers   *[]struct {
			Peer  string  `json:"peer"`
			Kind  *string `json:"kind"`
			Count int     `json:"count"`
		} `json:"peers"`
	}
	if err := json.Unmarshal([]byte(auditOut), &arecs); err != nil {
		t.Fatalf("%v\n%s", err, auditOut)
	}
	gotAudit := map[string]string{}
	for _, r := range arecs {
		if len(r.Netns.Names) == 0 || !strings.HasSuffix(r.Netns.Names[0], "/"+s.netns) {
			continue
		}
		if r.Peers == nil {
			t.Errorf("audit record without peers: %+v", r)
			continue
		}
		var parts []string
		for _, p := range *r.Peers {
			parts = append(parts, p.Peer+"="+itoa(p.Count))
		}
		gotAudit[r.Address+":"+itoa(r.Port)] = strings.Join(parts, ",")
	}
	if got, want := gotAudit[ipWeb+":8080"], s.ns+"/db-"+s.tag+"=2"; got != want {
		t.Errorf("audit peers of %s:8080 = %q, want %q (all: %v)", ipWeb, got, want, gotAudit)
	}
	wideAudit, _, _ := runBinary(t, bin, "audit", "-t", "--output", "wide", "--kubeconfig", c.adminKubeconfig)
	t.Logf("audit -t --output wide:\n%s", wideAudit)
	if !strings.Contains(wideAudit, "PEERS") || !strings.Contains(wideAudit, s.ns+"/db-"+s.tag+"=2") {
		t.Errorf("audit wide lacks the PEERS counts:\n%s", wideAudit)
	}
}

// TestPeerNamesRBAC: a user who may list pods only in one namespace, and
// neither Services nor nodes, still gets the pods named, with one notice.
func TestPeerNamesRBAC(t *testing.T) {
	c := needCluster(t)
	s := newPeerScene(t, c)
	setupLimitedUser(t, adminClient(t, c), s.ns)
	bin := netstatBinary(t)
	want := s.wantClientPeers(true)
	deadline := time.Now().Add(60 * time.Second)
	for {
		stdout, stderr, code := runBinary(t, bin, "netns/"+s.netns, "-tn", "--output", "json", "--kubeconfig", c.limitedKubecfg, "--namespace", s.ns)
		got := clientPeers(decodeSockets(t, stdout))
		if got[ipWeb+":8080"] == "" || got[ipWeb+":8080"] == "null" {
			if time.Now().After(deadline) {
				t.Fatalf("pods never named for the limited user: exit %d, %s\n%s", code, stderr, stdout)
			}
			time.Sleep(500 * time.Millisecond) // RBAC settles after the binding is made
			continue
		}
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		// Discovery may warn about other users' namespaces; the notice is one line.
		var notices []string
		for _, l := range strings.Split(stderr, "\n") {
			if strings.HasPrefix(l, "kubectl-netstat: notice: ") {
				notices = append(notices, l)
			}
		}
		if len(notices) != 1 || !strings.Contains(notices[0], "services") {
			t.Errorf("want one notice line naming services, got %q", stderr)
		}
		t.Logf("%s", notices)
		diffPeers(t, want, got, stdout)
		return
	}
}

// TestPeerNamesUnreachable: a dead API server costs one notice and a
// bounded wait, and the table is still printed.
func TestPeerNamesUnreachable(t *testing.T) {
	c := needCluster(t)
	bin := netstatBinary(t)
	start := time.Now()
	stdout, stderr, code := runBinary(t, bin, "-tn", "--output", "json", "--kubeconfig", c.deadPortKubecfg)
	if code != 0 || !strings.HasPrefix(stdout, "[") {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	if n := strings.Count(stderr, "notice: peer names"); n != 1 {
		t.Errorf("want one notice, got %q", stderr)
	}
	t.Logf("%s in %v", strings.TrimSpace(stderr), time.Since(start))
}

// TestPeerNamesWatch: under -c the informer cache sees a pod appear, and
// the next refresh names it.
func TestPeerNamesWatch(t *testing.T) {
	c := needCluster(t)
	s := newPeerScene(t, c)
	bin := netstatBinary(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "netns/"+s.netns, "-tn", "-c", "1", "--output", "ndjson", "--kubeconfig", c.adminKubeconfig)
	cmd.Env = append(os.Environ(), "KUBECONFIG=/nonexistent")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cancel()
	created := false
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r sockRec
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.LocalAddress != ipDB || r.ForeignAddress != ipUnknown {
			continue
		}
		if r.ForeignPeer != nil {
			if !created {
				t.Fatalf("%s named before its pod existed: %s", ipUnknown, r.ForeignPeer)
			}
			if got, want := r.ForeignPeer.String(), "pod "+s.ns+"/late-"+s.tag; got != want {
				t.Fatalf("foreign_peer = %q, want %q", got, want)
			}
			return
		}
		if !created {
			podWithIP(t, adminClient(t, c), s.ns, "late-"+s.tag, ipUnknown, corev1.PodRunning, nil)
			created = true
		}
	}
	t.Fatalf("output ended before the new pod was named: %v", sc.Err())
}

// peerConnsArg makes the test binary, run inside a namespace by
// "ip netns exec", listen on every address of its spec, connect to each from
// the spec's local address, print "ready" and block. A child process does
// it because entering a namespace in this one would end a thread (see
// nsenter.Do), and the cluster's processes die with the thread that started
// them (Pdeathsig).
const peerConnsArg = "-kns-peer-conns="

// peerConnsKeep holds runPeerConns' sockets: a package variable, so the
// collector never finalizes (closes) them while the process blocks.
var (
	peerConnsMu   sync.Mutex
	peerConnsKeep []any
)

func keepSocket(v any) {
	peerConnsMu.Lock()
	peerConnsKeep = append(peerConnsKeep, v)
	peerConnsMu.Unlock()
}

func runPeerConns(spec string) int {
	local, list, _ := strings.Cut(spec, ";")
	targets := strings.Split(list, ",")
	seen := map[string]bool{}
	for _, a := range targets {
		if seen[a] {
			continue
		}
		seen[a] = true
		l, err := net.Listen("tcp4", a)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		keepSocket(l)
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				keepSocket(c)
			}
		}()
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	for _, a := range targets {
		c, err := d.Dial("tcp4", a)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		keepSocket(c)
	}
	fmt.Println("ready")
	for {
		time.Sleep(time.Hour) // select{} would be reported as a deadlock
	}
}

// startConns runs runPeerConns in the scene's namespace until the test ends.
func (s *peerScene) startConns(t *testing.T, local string, targets []string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", s.netns, self, "-test.run=^$", peerConnsArg+local+";"+strings.Join(targets, ","))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("connections in %s: %q %s", s.netns, line, stderr.String())
	}
}
