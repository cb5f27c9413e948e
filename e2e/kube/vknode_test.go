//go:build linux

package kubee2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	"github.com/virtual-kubelet/virtual-kubelet/node/nodeutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"

	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
)

// procNode is a virtual-kubelet node whose provider runs each pod container's
// command as a local process: the smallest real "node that runs pods". The
// kubelet API (container logs) is served over HTTPS on 127.0.0.1, which is
// what the apiserver's pods/log proxies to.
type procNode struct {
	Name string
	Port int
	prov *procProvider
}

// procNodeConfig says how container paths map to this host.
type procNodeConfig struct {
	// Binaries maps an executable path inside the image (the container's
	// command[0]) to a local file; any other command fails the container
	// with CreateContainerError, as a missing binary in an image would.
	Binaries map[string]string
	// Root stands for the node's "/" in hostPath volumes: a hostPath P is
	// Root/P, and arguments naming a mount path are rewritten to it.
	Root string
}

// startProcNode registers a Node named "kns-vk-<tag>" with InternalIP
// 127.0.0.1 and a kubelet endpoint on a free loopback port, runs its pod and
// node controllers until the test ends, then deletes the Node.
func startProcNode(t *testing.T, cs kubernetes.Interface, cfg procNodeConfig) *procNode {
	t.Helper()
	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	name := "kns-vk-" + fixture.RandHex(4)
	cert, err := selfSignedLoopbackCert()
	if err != nil {
		t.Fatal(err)
	}
	prov := &procProvider{cfg: cfg, nodeName: name, pods: map[string]*procPod{}, adopt: map[string]map[string]string{}}
	mux := http.NewServeMux()
	n, err := nodeutil.NewNode(name,
		func(pc nodeutil.ProviderConfig) (nodeutil.Provider, node.NodeProvider, error) {
			pc.Node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
			pc.Node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(ports[0])
			pc.Node.Status.NodeInfo.KubeletVersion = "v1.37.2-kns-vk"
			pc.Node.Status.NodeInfo.OperatingSystem = "linux"
			pc.Node.Status.NodeInfo.Architecture = "amd64"
			// No NodeProvider: virtual-kubelet's naive one marks the node Ready.
			return prov, nil, nil
		},
		nodeutil.WithClient(cs),
		nodeutil.AttachProviderRoutes(mux),
		func(c *nodeutil.NodeConfig) error {
			c.HTTPListenAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
			c.Handler = mux
			c.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			c.NumWorkers = 2
			c.InformerResyncPeriod = 30 * time.Second
			c.SkipDownwardAPIResolution = true // the agent has no env; no need to watch secrets for it
			return nil
		},
	)
	if err != nil {
		t.Fatalf("virtual-kubelet node: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-n.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("virtual-kubelet node %s did not stop", name)
		}
		prov.killAll()
		_ = cs.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	if err := n.WaitReady(ctx, 30*time.Second); err != nil {
		t.Fatalf("virtual-kubelet node %s not ready: %v", name, err)
	}
	return &procNode{Name: name, Port: ports[0], prov: prov}
}

// Adopt makes the node report pod ns/name, when it is bound here, as Running
// with the given container IDs ("containerd://<id>") instead of running
// anything: the pod's containers are fixture processes that already exist.
// Call it before creating the pod.
func (n *procNode) Adopt(ns, name string, ids map[string]string) {
	n.prov.mu.Lock()
	defer n.prov.mu.Unlock()
	n.prov.adopt[ns+"/"+name] = ids
}

// Runs returns every container process the node has run, in start order.
func (n *procNode) Runs() []procRun {
	n.prov.mu.Lock()
	defer n.prov.mu.Unlock()
	return append([]procRun(nil), n.prov.runs...)
}

// procRun is one container process and how it ended (Exit is -1 while running).
type procRun struct {
	Namespace, Pod, Container string
	Argv                      []string
	Exit                      int
}

type procProvider struct {
	cfg      procNodeConfig
	nodeName string

	mu     sync.Mutex
	pods   map[string]*procPod // by namespace/name
	adopt  map[string]map[string]string
	runs   []procRun
	notify func(*corev1.Pod)
}

type procPod struct {
	pod  *corev1.Pod // spec as received, status as this node reports it
	ctrs map[string]*procContainer
}

type procContainer struct {
	log    *followBuffer
	cmd    *exec.Cmd
	run    int // index in procProvider.runs
	killed string
	exited bool
}

func podKey(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

func (p *procProvider) CreatePod(ctx context.Context, pod *corev1.Pod) error {
	pod = pod.DeepCopy()
	now := metav1.Now()
	pod.Status = corev1.PodStatus{Phase: corev1.PodPending, HostIP: "127.0.0.1", HostIPs: []corev1.HostIP{{IP: "127.0.0.1"}},
		PodIP: "127.0.0.1", PodIPs: []corev1.PodIP{{IP: "127.0.0.1"}}, StartTime: &now,
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now}}}
	pp := &procPod{pod: pod, ctrs: map[string]*procContainer{}}

	p.mu.Lock()
	if old := p.pods[podKey(pod)]; old != nil && old.pod.UID == pod.UID {
		p.mu.Unlock()
		return nil
	}
	p.pods[podKey(pod)] = pp
	ids, adopted := p.adopt[podKey(pod)]
	p.mu.Unlock()

	if adopted {
		p.update(pp, func(s *corev1.PodStatus) {
			s.Phase = corev1.PodRunning
			for _, c := range pod.Spec.Containers {
				s.ContainerStatuses = append(s.ContainerStatuses, corev1.ContainerStatus{
					Name: c.Name, Image: c.Image, ImageID: "sha256:0", ContainerID: ids[c.Name], Ready: true, Started: ptrTo(true),
					State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
				})
			}
			setReady(s, corev1.ConditionTrue, now)
		})
		return nil
	}

	var deadline time.Duration
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil {
		deadline = time.Duration(*d) * time.Second
	}
	for _, c := range pod.Spec.Containers {
		if reason, msg, ok := imagePullFailure(c.Image); ok {
			p.update(pp, func(s *corev1.PodStatus) {
				s.ContainerStatuses = append(s.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
					State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}})
			})
			continue
		}
		argv, err := p.argv(pod, c)
		if err != nil {
			p.update(pp, func(s *corev1.PodStatus) {
				s.ContainerStatuses = append(s.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
					State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CreateContainerError", Message: err.Error()}}})
			})
			continue
		}
		pc := &procContainer{log: newFollowBuffer()}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + p.nodeName}
		for _, e := range c.Env {
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
		// The kubelet interleaves both streams into the one container log.
		cmd.Stdout, cmd.Stderr = pc.log, pc.log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
		if err := cmd.Start(); err != nil {
			p.update(pp, func(s *corev1.PodStatus) {
				s.ContainerStatuses = append(s.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
					State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "RunContainerError", Message: err.Error()}}})
			})
			continue
		}
		pc.cmd = cmd
		p.mu.Lock()
		pc.run = len(p.runs)
		p.runs = append(p.runs, procRun{Namespace: pod.Namespace, Pod: pod.Name, Container: c.Name, Argv: argv, Exit: -1})
		pp.ctrs[c.Name] = pc
		p.mu.Unlock()
		started := metav1.Now()
		p.update(pp, func(s *corev1.PodStatus) {
			s.Phase = corev1.PodRunning
			s.ContainerStatuses = append(s.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "sha256:0",
				ContainerID: fmt.Sprintf("local://%d", cmd.Process.Pid), Ready: true, Started: ptrTo(true),
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}})
			setReady(s, corev1.ConditionTrue, started)
		})
		var timer *time.Timer
		if deadline > 0 { // activeDeadlineSeconds: the kubelet kills the pod
			timer = time.AfterFunc(deadline, func() { p.kill(pp, c.Name, "DeadlineExceeded") })
		}
		go p.wait(pp, c, pc, timer)
	}
	return nil
}

// wait records a container's exit as the kubelet would: Terminated with the
// exit code, the pod Succeeded or Failed once every container has ended.
func (p *procProvider) wait(pp *procPod, c corev1.Container, pc *procContainer, timer *time.Timer) {
	err := pc.cmd.Wait()
	if timer != nil {
		timer.Stop()
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		if code < 0 {
			code = 128 + int(ee.Sys().(syscall.WaitStatus).Signal())
		}
	} else if err != nil {
		code = 128
	}
	pc.log.Close()
	p.mu.Lock()
	pc.exited = true
	p.runs[pc.run].Exit = code
	killed := pc.killed
	p.mu.Unlock()
	finished := metav1.Now()
	p.update(pp, func(s *corev1.PodStatus) {
		for i := range s.ContainerStatuses {
			cs := &s.ContainerStatuses[i]
			if cs.Name != c.Name {
				continue
			}
			term := &corev1.ContainerStateTerminated{ExitCode: int32(code), Reason: "Completed", FinishedAt: finished, ContainerID: cs.ContainerID}
			if cs.State.Running != nil {
				term.StartedAt = cs.State.Running.StartedAt
			}
			if code != 0 {
				term.Reason = "Error"
				if c.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError {
					term.Message = pc.log.Tail(2048)
				}
			}
			cs.State, cs.Ready, cs.Started = corev1.ContainerState{Terminated: term}, false, ptrTo(false)
		}
		allDone, failed := true, false
		for _, cs := range s.ContainerStatuses {
			if cs.State.Terminated == nil {
				allDone = false
			} else if cs.State.Terminated.ExitCode != 0 {
				failed = true
			}
		}
		if !allDone {
			return
		}
		setReady(s, corev1.ConditionFalse, finished)
		s.Phase = corev1.PodSucceeded
		if failed || killed != "" {
			s.Phase = corev1.PodFailed
		}
		if killed != "" {
			s.Reason, s.Message = killed, "Pod was active on the node longer than the specified deadline"
		}
	})
}

// argv is the container's command with image paths mapped to local files and
// mount paths in arguments mapped to the host directories behind them.
func (p *procProvider) argv(pod *corev1.Pod, c corev1.Container) ([]string, error) {
	cmd := append(append([]string(nil), c.Command...), c.Args...)
	if len(cmd) == 0 {
		return nil, fmt.Errorf("image %q: no command and no entrypoint known to this node", c.Image)
	}
	bin, ok := p.cfg.Binaries[cmd[0]]
	if !ok {
		return nil, fmt.Errorf("exec: %q: no such file in image %q", cmd[0], c.Image)
	}
	cmd[0] = bin
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		for _, v := range pod.Spec.Volumes {
			if v.Name == m.Name && v.HostPath != nil {
				mounts[filepath.Clean(m.MountPath)] = filepath.Join(p.cfg.Root, v.HostPath.Path)
			}
		}
	}
	for i := 1; i < len(cmd); i++ {
		cmd[i] = mapArg(cmd[i], mounts)
	}
	return cmd, nil
}

// mapArg rewrites a path argument, or the value of a --flag=value argument,
// that lies inside a mount.
func mapArg(arg string, mounts map[string]string) string {
	prefix, val := "", arg
	if i := strings.IndexByte(arg, '='); i > 0 && strings.HasPrefix(arg, "-") {
		prefix, val = arg[:i+1], arg[i+1:]
	}
	for mp, host := range mounts {
		if val == mp {
			return prefix + host
		}
		if rest, ok := strings.CutPrefix(val, mp+"/"); ok {
			return prefix + filepath.Join(host, rest)
		}
	}
	return arg
}

// update applies f to the pod's status and tells virtual-kubelet about it.
func (p *procProvider) update(pp *procPod, f func(*corev1.PodStatus)) {
	p.mu.Lock()
	f(&pp.pod.Status)
	snap := pp.pod.DeepCopy()
	notify := p.notify
	p.mu.Unlock()
	if notify != nil {
		notify(snap)
	}
}

func setReady(s *corev1.PodStatus, v corev1.ConditionStatus, at metav1.Time) {
	for _, typ := range []corev1.PodConditionType{corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		val := v
		if typ == corev1.PodInitialized {
			val = corev1.ConditionTrue
		}
		found := false
		for i := range s.Conditions {
			if s.Conditions[i].Type == typ {
				found = true
				if s.Conditions[i].Status != val {
					s.Conditions[i].Status, s.Conditions[i].LastTransitionTime = val, at
				}
			}
		}
		if !found {
			s.Conditions = append(s.Conditions, corev1.PodCondition{Type: typ, Status: val, LastTransitionTime: at})
		}
	}
}

func (p *procProvider) kill(pp *procPod, container, reason string) {
	p.mu.Lock()
	pc := pp.ctrs[container]
	if pc == nil || pc.cmd == nil || pc.exited {
		p.mu.Unlock()
		return
	}
	pc.killed = reason
	p.mu.Unlock()
	// Setpgid: the container's whole process group, as a cgroup kill would.
	_ = syscall.Kill(-pc.cmd.Process.Pid, syscall.SIGKILL)
}

func (p *procProvider) killAll() {
	p.mu.Lock()
	var pods []*procPod
	for _, pp := range p.pods {
		pods = append(pods, pp)
	}
	p.mu.Unlock()
	for _, pp := range pods {
		for name := range pp.ctrs {
			p.kill(pp, name, "NodeShutdown")
		}
	}
}

func (p *procProvider) UpdatePod(ctx context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pp := p.pods[podKey(pod)]; pp != nil {
		pp.pod.ObjectMeta = *pod.ObjectMeta.DeepCopy()
		pp.pod.Spec.ActiveDeadlineSeconds = pod.Spec.ActiveDeadlineSeconds
	}
	return nil
}

func (p *procProvider) DeletePod(ctx context.Context, pod *corev1.Pod) error {
	p.mu.Lock()
	pp := p.pods[podKey(pod)]
	p.mu.Unlock()
	if pp == nil {
		return errdefs.NotFoundf("pod %s not found on node", podKey(pod))
	}
	for name := range pp.ctrs {
		p.kill(pp, name, "Killing")
	}
	p.mu.Lock()
	delete(p.pods, podKey(pod))
	snap := pp.pod.DeepCopy()
	notify := p.notify
	p.mu.Unlock()
	// A terminal status for every container, as the pod controller expects.
	now := metav1.Now()
	for i := range snap.Status.ContainerStatuses {
		if cs := &snap.Status.ContainerStatuses[i]; cs.State.Terminated == nil {
			cs.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "Killing", FinishedAt: now}}
		}
	}
	if snap.Status.Phase != corev1.PodSucceeded {
		snap.Status.Phase = corev1.PodFailed
	}
	if notify != nil {
		notify(snap)
	}
	return nil
}

func (p *procProvider) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pp := p.pods[namespace+"/"+name]; pp != nil {
		return pp.pod.DeepCopy(), nil
	}
	return nil, errdefs.NotFoundf("pod %s/%s not found on node", namespace, name)
}

func (p *procProvider) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := p.GetPod(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &pod.Status, nil
}

func (p *procProvider) GetPods(ctx context.Context) ([]*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*corev1.Pod
	for _, pp := range p.pods {
		out = append(out, pp.pod.DeepCopy())
	}
	return out, nil
}

// NotifyPods makes virtual-kubelet push status changes at once instead of
// polling GetPodStatus.
func (p *procProvider) NotifyPods(ctx context.Context, f func(*corev1.Pod)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notify = f
}

func (p *procProvider) GetContainerLogs(ctx context.Context, namespace, podName, containerName string, opts api.ContainerLogOpts) (io.ReadCloser, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pp := p.pods[namespace+"/"+podName]
	if pp == nil {
		return nil, errdefs.NotFoundf("pod %s/%s not found on node", namespace, podName)
	}
	pc := pp.ctrs[containerName]
	if pc == nil {
		return nil, errdefs.NotFoundf("container %q in pod %s/%s has no log on this node", containerName, namespace, podName)
	}
	return pc.log.Reader(ctx, opts.Follow), nil
}

func (p *procProvider) RunInContainer(ctx context.Context, namespace, podName, containerName string, cmd []string, attach api.AttachIO) error {
	return p.runInContainer(ctx, namespace, podName, containerName, cmd, attach)
}

func (p *procProvider) AttachToContainer(ctx context.Context, namespace, podName, containerName string, attach api.AttachIO) error {
	return errdefs.InvalidInput("attach is not implemented by the kns e2e node")
}

func (p *procProvider) GetStatsSummary(context.Context) (*statsv1alpha1.Summary, error) {
	return nil, errdefs.InvalidInput("stats are not implemented by the kns e2e node")
}

func (p *procProvider) GetMetricsResource(context.Context) ([]*dto.MetricFamily, error) {
	return nil, errdefs.InvalidInput("metrics are not implemented by the kns e2e node")
}

func (p *procProvider) PortForward(ctx context.Context, namespace, pod string, port int32, stream io.ReadWriteCloser) error {
	return errdefs.InvalidInput("port-forward is not implemented by the kns e2e node")
}

func ptrTo[T any](v T) *T { return &v }

// followBuffer is a container log: written by the process, read from the
// start by any number of readers, which may follow it until it is closed.
type followBuffer struct {
	mu     sync.Mutex
	b      []byte
	closed bool
	more   chan struct{} // closed and replaced on every write and on Close
}

func newFollowBuffer() *followBuffer { return &followBuffer{more: make(chan struct{})} }

func (f *followBuffer) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.b = append(f.b, p...)
	close(f.more)
	f.more = make(chan struct{})
	return len(p), nil
}

func (f *followBuffer) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.more)
		f.more = make(chan struct{})
	}
}

// Tail is the last n bytes, for the termination message.
func (f *followBuffer) Tail(n int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.b
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}

func (f *followBuffer) Reader(ctx context.Context, follow bool) io.ReadCloser {
	ctx, cancel := context.WithCancel(ctx)
	return &followReader{f: f, ctx: ctx, cancel: cancel, follow: follow}
}

type followReader struct {
	f      *followBuffer
	ctx    context.Context
	cancel context.CancelFunc
	follow bool
	off    int
}

func (r *followReader) Read(p []byte) (int, error) {
	for {
		r.f.mu.Lock()
		if r.off < len(r.f.b) {
			n := copy(p, r.f.b[r.off:])
			r.off += n
			r.f.mu.Unlock()
			return n, nil
		}
		if r.f.closed || !r.follow {
			r.f.mu.Unlock()
			return 0, io.EOF
		}
		more := r.f.more
		r.f.mu.Unlock()
		select {
		case <-more:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
}

func (r *followReader) Close() error { r.cancel(); return nil }

// selfSignedLoopbackCert is the kubelet's serving certificate. The test
// apiserver has no --kubelet-certificate-authority, so it does not verify it.
func selfSignedLoopbackCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "kns-vk-kubelet"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
