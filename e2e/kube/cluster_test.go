//go:build linux

package kubee2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tokens the apiserver's --token-auth-file knows. admin is system:masters;
// limited is bound only to the read/exec role set up in setupRBAC.
const (
	adminToken   = "kns-e2e-admin-token"
	limitedToken = "kns-e2e-limited-token"
	limitedUser  = "kns-limited"
)

// cluster is one etcd + kube-apiserver pair on loopback.
type cluster struct {
	dir             string
	host            string // https://127.0.0.1:PORT
	adminKubeconfig string
	limitedKubecfg  string
	procs           []*exec.Cmd
	logs            []string
	skipReason      string
	deadPortKubecfg string // a kubeconfig naming a port nobody listens on
}

// the cluster shared by every test in this package; nil when skipped.
var shared *cluster

// listenArg makes the test binary a plain TCP listener that blocks: the
// fixture's "process in a container" for the local-path test.
const listenArg = "-kns-listen="

func TestMain(m *testing.M) {
	for _, a := range os.Args[1:] {
		if spec, ok := strings.CutPrefix(a, peerConnsArg); ok {
			os.Exit(runPeerConns(spec))
		}
		if addr, ok := strings.CutPrefix(a, listenArg); ok {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				os.Exit(3)
			}
			defer l.Close()
			for {
				time.Sleep(time.Hour) // select{} would be reported as a deadlock
			}
		}
	}
	c, err := startCluster()
	code := 0
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "kubee2e: cannot start the test cluster: %v\n", err)
		code = 1
	case c.skipReason != "":
		// Every test calls needCluster and skips with this reason.
		fmt.Fprintf(os.Stderr, "kubee2e: SKIP: %s\n", c.skipReason)
		shared = c
		code = m.Run()
	default:
		shared = c
		code = m.Run()
	}
	if c != nil {
		c.stop()
	}
	removeBinary()
	os.Exit(code)
}

func needCluster(t *testing.T) *cluster {
	t.Helper()
	if shared == nil {
		t.Fatal("no test cluster")
	}
	if shared.skipReason != "" {
		t.Skip(shared.skipReason)
	}
	return shared
}

func binDir() string {
	cache := os.Getenv("KNS_CACHE")
	if cache == "" {
		cache = "/var/cache/kubectl-netstat"
	}
	return filepath.Join(cache, "bin")
}

func startCluster() (*cluster, error) {
	bin := binDir()
	etcd, apiserver := filepath.Join(bin, "etcd"), filepath.Join(bin, "kube-apiserver")
	for _, b := range []string{etcd, apiserver} {
		if _, err := os.Stat(b); err != nil {
			reason := fmt.Sprintf("%s missing; run hack/kube-bins.sh (about 10 min once) to build etcd and kube-apiserver", b)
			if os.Getenv("KNS_KUBE_E2E") != "" {
				return nil, errors.New(reason + " (KNS_KUBE_E2E is set)")
			}
			return &cluster{skipReason: reason}, nil
		}
	}
	dir, err := os.MkdirTemp("", "kns-kube-e2e-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	ok := false
	defer func() {
		if !ok {
			c.stop()
		}
	}()

	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	etcdClient := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	etcdPeer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	if err := c.start("etcd", etcd,
		"--name=kns-e2e", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdClient, "--advertise-client-urls="+etcdClient,
		"--listen-peer-urls="+etcdPeer, "--initial-advertise-peer-urls="+etcdPeer,
		"--initial-cluster=kns-e2e="+etcdPeer, "--log-level=warn",
		"--listen-metrics-urls=http://127.0.0.1:"+fmt.Sprint(ports[3]),
	); err != nil {
		return nil, err
	}
	if err := waitHTTP(etcdClient+"/health", "", 30*time.Second); err != nil {
		return nil, fmt.Errorf("etcd: %w\n%s", err, c.tail("etcd"))
	}

	saKey, saPub := filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := writeRSAPair(saKey, saPub); err != nil {
		return nil, err
	}
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(
		adminToken+",kns-admin,kns-admin-uid,system:masters\n"+
			limitedToken+","+limitedUser+","+limitedUser+"-uid\n"), 0o600); err != nil {
		return nil, err
	}
	c.host = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	if err := c.start("kube-apiserver", apiserver,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]), "--endpoint-reconciler-type=none",
		"--cert-dir="+filepath.Join(dir, "certs"), "--etcd-servers="+etcdClient,
		"--service-account-key-file="+saPub, "--service-account-signing-key-file="+saKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=198.51.100.0/25", "--token-auth-file="+tokens,
		"--authorization-mode=RBAC", "--allow-privileged=true",
		// No controller-manager creates the default ServiceAccount.
		"--disable-admission-plugins=ServiceAccount",
	); err != nil {
		return nil, err
	}
	if err := waitHTTP(c.host+"/readyz", adminToken, 90*time.Second); err != nil {
		return nil, fmt.Errorf("kube-apiserver: %w\n%s", err, c.tail("kube-apiserver"))
	}
	c.adminKubeconfig = filepath.Join(dir, "admin.kubeconfig")
	c.limitedKubecfg = filepath.Join(dir, "limited.kubeconfig")
	c.deadPortKubecfg = filepath.Join(dir, "dead.kubeconfig")
	dead, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	for _, k := range []struct{ path, server, token string }{
		{c.adminKubeconfig, c.host, adminToken},
		{c.limitedKubecfg, c.host, limitedToken},
		{c.deadPortKubecfg, fmt.Sprintf("https://127.0.0.1:%d", dead[0]), adminToken},
	} {
		if err := writeKubeconfig(k.path, k.server, k.token); err != nil {
			return nil, err
		}
	}
	ok = true
	return c, nil
}

func (c *cluster) start(name, bin string, args ...string) error {
	logPath := filepath.Join(c.dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	// Die with the test binary, even on a panic or kill.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	c.procs = append(c.procs, cmd)
	c.logs = append(c.logs, logPath)
	return nil
}

// tail is the end of a component's log, for failure messages.
func (c *cluster) tail(name string) string {
	b, _ := os.ReadFile(filepath.Join(c.dir, name+".log"))
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

func (c *cluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func waitHTTP(url, token string, limit time.Duration) error {
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, // self-signed loopback cert
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var last string
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %s", url, limit, last)
}

func writeRSAPair(keyPath, pubPath string) error {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}

func writeKubeconfig(path, server, token string) error {
	return os.WriteFile(path, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: e2e
  user:
    token: %s
contexts:
- name: e2e
  context:
    cluster: e2e
    user: e2e
    namespace: default
current-context: e2e
`, server, token)), 0o600)
}
