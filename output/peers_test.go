package output

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// A cluster name is cut in the Address column exactly as netstat cuts a host name.
func TestPeerNamesAreCutLikeHostNames(t *testing.T) {
	tb := inspect.NewPeerTable()
	tb.AddPod(inspect.PeerPodInfo{Namespace: "shop", Name: "redis-0", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.7")}, Running: true})
	tb.AddService(inspect.PeerServiceInfo{Namespace: "shop", Name: "a-rather-long-service-name", IPs: []netip.Addr{netip.MustParseAddr("203.0.113.5")}})
	n := PeerNames{Names: NoNames{}, Table: func() *inspect.PeerTable { return tb }}
	s := &inspect.Socket{Proto: inspect.ProtoTCP, State: inspect.TCPEstablished,
		Local: netip.MustParseAddrPort("192.0.2.7:6379"), Remote: netip.MustParseAddrPort("203.0.113.5:40000")}
	row := string(AppendInetRow(nil, s, Flags{NumericPorts: true}, n))
	if !strings.Contains(row, "shop/redis-0:6379 ") || !strings.Contains(row, "svc/shop/a-rather:40000") {
		t.Errorf("row = %q", row)
	}
	wide := string(AppendInetRow(nil, s, Flags{NumericPorts: true, Wide: true}, n))
	if !strings.Contains(wide, "svc/shop/a-rather-long-service-name:40000") {
		t.Errorf("-W row = %q", wide)
	}
	num := string(AppendInetRow(nil, s, Flags{NumericHosts: true, NumericPorts: true}, n))
	if !strings.Contains(num, "192.0.2.7:6379") || !strings.Contains(num, "203.0.113.5:40000") {
		t.Errorf("-n row = %q", num)
	}
}
