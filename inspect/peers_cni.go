package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/runtime"
)

// cniResultIPs is the part of a CNI result cache that holds the addresses:
// "ips" since CNI spec 0.3, "ip4"/"ip6" before.
type cniResultIPs struct {
	ContainerID string     `json:"containerId"`
	CNIArgs     [][]string `json:"cniArgs"`
	Result      struct {
		IPs []struct {
			Address string `json:"address"`
		} `json:"ips"`
		IP4 *struct {
			IP string `json:"ip"`
		} `json:"ip4"`
		IP6 *struct {
			IP string `json:"ip"`
		} `json:"ip6"`
	} `json:"result"`
}

// parseCNIResultIPs parses one /var/lib/cni/results file: the sandbox ID and
// its addresses (CIDR suffixes dropped).
func parseCNIResultIPs(r io.Reader) (id string, ips []netip.Addr, err error) {
	var c cniResultIPs
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return "", nil, fmt.Errorf("cni result: %v: %w", err, ErrParse)
	}
	if c.ContainerID == "" {
		return "", nil, fmt.Errorf("cni result: no containerId: %w", ErrParse)
	}
	var texts []string
	for _, ip := range c.Result.IPs {
		texts = append(texts, ip.Address)
	}
	if c.Result.IP4 != nil {
		texts = append(texts, c.Result.IP4.IP)
	}
	if c.Result.IP6 != nil {
		texts = append(texts, c.Result.IP6.IP)
	}
	for _, t := range texts {
		if p, err := netip.ParsePrefix(t); err == nil {
			ips = append(ips, p.Addr())
		} else if a, err := netip.ParseAddr(t); err == nil {
			ips = append(ips, a)
		} else {
			return "", nil, fmt.Errorf("cni result: address %q: %w", t, ErrParse)
		}
	}
	return c.ContainerID, ips, nil
}

// CNIPeers names this node's pods from the CNI result caches in
// /var/lib/cni/results, for a node without a kubeconfig. A result is used only
// when its sandbox is one discovery found alive (a live network namespace)
// and knows the pod of, so the results of pods that are gone name nothing;
// two live sandboxes claiming one address name nothing either.
func (fs FS) CNIPeers(inv *Inventory) (*PeerTable, []string) {
	t := NewPeerTable()
	var warns []string
	files, _ := filepath.Glob(fs.Host("/var/lib/cni/results", "*"))
	for _, p := range files {
		b, err := runtime.ReadCapped(p)
		if err != nil {
			warns = append(warns, fmt.Sprintf("%s: %v (skipped)", fs.HostRel(p), err))
			continue
		}
		id, ips, err := parseCNIResultIPs(strings.NewReader(string(b)))
		if err != nil {
			warns = append(warns, fmt.Sprintf("%s: %v (skipped)", fs.HostRel(p), err))
			continue
		}
		c := inv.Container(id)
		if c == nil || c.Pod == nil || c.Pod.Name == "" || c.HostNetwork || c.NetnsInode == 0 {
			continue
		}
		if ns := inv.NetnsOf(c.NetnsInode); ns == nil || ns.Kind == NetnsHost {
			continue
		}
		t.AddPod(PeerPodInfo{Namespace: c.Pod.Namespace, Name: c.Pod.Name, IPs: ips, Running: true})
	}
	return t, warns
}
