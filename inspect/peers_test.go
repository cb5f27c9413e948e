package inspect

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestPeerTableNeverGuesses(t *testing.T) {
	tb := NewPeerTable()
	tb.AddPod(PeerPodInfo{Namespace: "shop", Name: "redis-0", IPs: addrs("192.0.2.10", "2001:db8::10"), Running: true,
		Ports: map[string]string{"6379/TCP": "redis"}, Workload: "statefulset/redis"})
	// Reused: two running pods claim one address.
	tb.AddPod(PeerPodInfo{Namespace: "a", Name: "one", IPs: addrs("192.0.2.20"), Running: true})
	tb.AddPod(PeerPodInfo{Namespace: "b", Name: "two", IPs: addrs("192.0.2.20"), Running: true})
	// Stale: a finished pod keeps its IP in status; only the running one names it.
	tb.AddPod(PeerPodInfo{Namespace: "a", Name: "done", IPs: addrs("192.0.2.30")})
	tb.AddPod(PeerPodInfo{Namespace: "a", Name: "new", IPs: addrs("192.0.2.30"), Running: true})
	tb.AddPod(PeerPodInfo{Namespace: "a", Name: "gone", IPs: addrs("192.0.2.31")})
	// hostNetwork pods share the node's address: the node is named.
	tb.AddPod(PeerPodInfo{Namespace: "kube-system", Name: "proxy", IPs: addrs("198.51.100.1"), Running: true, HostNetwork: true})
	tb.AddNode("worker-1", addrs("198.51.100.1"))
	tb.AddService(PeerServiceInfo{Namespace: "shop", Name: "redis", IPs: addrs("203.0.113.5"), Ports: map[string]string{"6379/TCP": "redis"}})
	// A pod listing the same IP twice (podIP and podIPs) is one claimant.
	tb.AddPod(PeerPodInfo{Namespace: "a", Name: "dup", IPs: addrs("192.0.2.40", "192.0.2.40"), Running: true})
	tb.AddPod(PeerPodInfo{Namespace: "a", Name: "lo", IPs: addrs("127.0.0.1"), Running: true})

	for _, tc := range []struct {
		name  string
		ap    string
		proto Proto
		want  string
	}{
		{"pod with port name", "192.0.2.10:6379", ProtoTCP, "pod shop/redis-0 redis statefulset/redis"},
		{"pod, udp port not named", "192.0.2.10:6379", ProtoUDP, "pod shop/redis-0  statefulset/redis"},
		{"pod v6", "[2001:db8::10]:1", ProtoTCP6, "pod shop/redis-0  statefulset/redis"},
		{"v4-mapped", "[::ffff:192.0.2.10]:6379", ProtoTCP6, "pod shop/redis-0 redis statefulset/redis"},
		{"two running pods", "192.0.2.20:80", ProtoTCP, "-"},
		{"stale and running", "192.0.2.30:80", ProtoTCP, "pod a/new  "},
		{"only a finished pod", "192.0.2.31:80", ProtoTCP, "-"},
		{"node shared with hostNetwork pod", "198.51.100.1:10250", ProtoTCP, "node /worker-1  "},
		{"service", "203.0.113.5:6379", ProtoTCP, "service shop/redis redis "},
		{"same pod twice", "192.0.2.40:1", ProtoTCP, "pod a/dup  "},
		{"loopback", "127.0.0.1:1", ProtoTCP, "-"},
		{"unknown", "192.0.2.99:1", ProtoTCP, "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tb.Lookup(netip.MustParseAddrPort(tc.ap), tc.proto)
			got := "-"
			if p != nil {
				got = p.Kind.String() + " " + p.Namespace + "/" + p.Name + " " + p.PortName + " " + p.Workload
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	if got := tb.Conflicts(); len(got) != 1 || !strings.Contains(got[0], "a/one, b/two") {
		t.Errorf("Conflicts = %q", got)
	}
	var nilTable *PeerTable
	if nilTable.Lookup(netip.MustParseAddrPort("192.0.2.10:1"), ProtoTCP) != nil {
		t.Error("nil table named an address")
	}
}

func TestPeerText(t *testing.T) {
	for _, tc := range []struct {
		p          Peer
		text, work string
	}{
		{Peer{Kind: PeerPod, Namespace: "shop", Name: "web-1", Workload: "deployment/web"}, "shop/web-1", "shop/deployment/web"},
		{Peer{Kind: PeerPod, Namespace: "shop", Name: "solo"}, "shop/solo", "shop/solo"},
		{Peer{Kind: PeerService, Namespace: "shop", Name: "redis"}, "svc/shop/redis", "svc/shop/redis"},
		{Peer{Kind: PeerNode, Name: "worker-3"}, "node/worker-3", "node/worker-3"},
	} {
		if got := tc.p.Text(); got != tc.text {
			t.Errorf("Text = %q, want %q", got, tc.text)
		}
		if got := tc.p.WorkloadText(); got != tc.work {
			t.Errorf("WorkloadText = %q, want %q", got, tc.work)
		}
	}
}

func TestParseCNIResultIPs(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		id       string
		ips      []netip.Addr
		bad      bool
	}{
		{"spec 1.0", `{"kind":"cniCacheV1","containerId":"abc","result":{"cniVersion":"1.0.0","ips":[{"address":"192.0.2.7/24","gateway":"192.0.2.1"},{"address":"2001:db8::7/64"}]}}`,
			"abc", addrs("192.0.2.7", "2001:db8::7"), false},
		{"spec 0.2", `{"containerId":"def","result":{"ip4":{"ip":"192.0.2.8/24"}}}`, "def", addrs("192.0.2.8"), false},
		{"no result", `{"containerId":"x"}`, "x", nil, false},
		{"no id", `{"result":{"ips":[]}}`, "", nil, true},
		{"bad address", `{"containerId":"x","result":{"ips":[{"address":"nope"}]}}`, "", nil, true},
		{"not json", `{`, "", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, ips, err := parseCNIResultIPs(strings.NewReader(tc.in))
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v, bad %v", err, tc.bad)
			}
			if id != tc.id || !cmp.Equal(ips, tc.ips, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })) {
				t.Errorf("got %q %v, want %q %v", id, ips, tc.id, tc.ips)
			}
		})
	}
}

func FuzzParseCNIResultIPs(f *testing.F) {
	f.Add(`{"containerId":"abc","result":{"ips":[{"address":"192.0.2.7/24"}]}}`)
	f.Add(`{"containerId":"def","result":{"ip4":{"ip":"192.0.2.8/24"},"ip6":{"ip":"2001:db8::1"}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _, _ = parseCNIResultIPs(strings.NewReader(s))
	})
}
