//go:build linux

package cmd

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
)

// The fixture's CNI result gives the pod this address (a documentation range).
const fixturePodIP = "198.51.100.7"

// TestPeersFromCNIResults: on a node without a kubeconfig, a live sandbox's
// CNI result names its pod; a result whose sandbox is gone names nothing.
// The sockets are real, in the pod's own namespace.
func TestPeersFromCNIResults(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and cgroups")
	}
	t.Setenv("KUBECONFIG", "/nonexistent")
	sc := fixture.New(t)
	name := "redis-" + sc.Tag
	pod := sc.ContainerdPod(fixture.PodSpec{Namespace: "shop", Name: name, Containers: []string{"redis"}})
	const staleIP = "198.51.100.8"
	sc.WriteJSON("/var/lib/cni/results/cbr0-"+fixture.RandHex(32)+"-eth0", map[string]any{
		"kind": "cniCacheV1", "containerId": fixture.RandHex(32), "ifName": "eth0", "networkName": "cbr0",
		"cniArgs": [][]string{{"K8S_POD_NAMESPACE", "shop"}, {"K8S_POD_NAME", "gone"}},
		"result":  map[string]any{"cniVersion": "1.0.0", "ips": []map[string]string{{"address": staleIP + "/24"}}},
	})
	nsPath := sc.Host(pod.NetnsName)
	for _, a := range []string{fixturePodIP, staleIP} {
		if out, err := exec.Command("nsenter", "--net="+nsPath, "ip", "addr", "add", a+"/32", "dev", "lo").CombinedOutput(); err != nil {
			t.Fatalf("ip addr add %s: %v\n%s", a, err, out)
		}
	}
	if out, err := exec.Command("nsenter", "--net="+nsPath, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip link set lo up: %v\n%s", err, out)
	}
	h, err := nsenter.Open(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var closers []interface{ Close() error }
	t.Cleanup(func() {
		for _, c := range closers {
			c.Close()
		}
	})
	err = nsenter.Do(h, func() error {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(fixturePodIP)}, Timeout: 30 * time.Second}
		for _, a := range []string{fixturePodIP + ":16379", staleIP + ":16380"} {
			l, err := net.Listen("tcp4", a)
			if err != nil {
				return err
			}
			closers = append(closers, l)
			c, err := d.Dial("tcp4", a)
			if err != nil {
				return err
			}
			closers = append(closers, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	out, stderr, code := runCmd(t, "netns/"+nsPath, "-tn", "-o", "json", "--host-root", sc.HostRoot)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var recs []struct {
		LocalAddress   string          `json:"local_address"`
		LocalPort      int             `json:"local_port"`
		ForeignAddress string          `json:"foreign_address"`
		ForeignPort    int             `json:"foreign_port"`
		ForeignPeer    json.RawMessage `json:"foreign_peer"`
		LocalPeer      json.RawMessage `json:"local_peer"`
	}
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	self := `{"kind":"pod","namespace":"shop","name":"` + name + `","port_name":null}`
	got := map[string]string{}
	for _, r := range recs {
		if r.ForeignPort == 16379 || r.ForeignPort == 16380 {
			got[r.ForeignAddress] = compactJSON(t, r.ForeignPeer)
			if compactJSON(t, r.LocalPeer) != self {
				t.Errorf("local_peer of %s:%d = %s, want %s", r.LocalAddress, r.LocalPort, r.LocalPeer, self)
			}
		}
	}
	if got[fixturePodIP] != self {
		t.Errorf("foreign_peer of the connection to %s = %s, want %s\n%s", fixturePodIP, got[fixturePodIP], self, out)
	}
	if got[staleIP] != "null" {
		t.Errorf("a stale CNI result named %s: %s\n%s", staleIP, got[staleIP], out)
	}

	text, _, code := runCmd(t, "netns/"+nsPath, "-tW", "--numeric-ports", "--resolve=k8s", "--host-root", sc.HostRoot)
	if code != 0 || !strings.Contains(text, "shop/"+name+":16379 ") || !strings.Contains(text, staleIP+":16380 ") {
		t.Errorf("--resolve=k8s text (exit %d):\n%s", code, text)
	}
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return buf.String()
}
