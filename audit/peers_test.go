package audit

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

func TestCountPeers(t *testing.T) {
	sock := func(proto inspect.Proto, state inspect.TCPState, local, remote string) inspect.Socket {
		return inspect.Socket{Proto: proto, State: state, Local: netip.MustParseAddrPort(local), Remote: netip.MustParseAddrPort(remote)}
	}
	ls := []Listener{
		{Proto: inspect.ProtoTCP, Addr: netip.MustParseAddr("0.0.0.0"), Port: 8080},
		{Proto: inspect.ProtoTCP, Addr: netip.MustParseAddr("127.0.0.1"), Port: 9000},
		{Proto: inspect.ProtoUDP, Addr: netip.MustParseAddr("0.0.0.0"), Port: 53},
		{Proto: inspect.ProtoTCP6, Addr: netip.MustParseAddr("::"), Port: 8443},
	}
	socks := []inspect.Socket{
		sock(inspect.ProtoTCP, inspect.TCPListen, "0.0.0.0:8080", "0.0.0.0:0"),
		sock(inspect.ProtoTCP, inspect.TCPEstablished, "192.0.2.1:8080", "192.0.2.10:40000"),
		sock(inspect.ProtoTCP, inspect.TCPEstablished, "192.0.2.1:8080", "192.0.2.11:40001"),
		sock(inspect.ProtoTCP, inspect.TCPEstablished, "192.0.2.1:8080", "192.0.2.10:40002"),
		sock(inspect.ProtoTCP, inspect.TCPEstablished, "192.0.2.1:8080", "203.0.113.9:40003"),
		sock(inspect.ProtoTCP, inspect.TCPTimeWait, "192.0.2.1:8080", "192.0.2.10:40004"),
		// Another address than the listener's: not its connection.
		sock(inspect.ProtoTCP, inspect.TCPEstablished, "192.0.2.1:9000", "192.0.2.10:40005"),
		sock(inspect.ProtoTCP, inspect.TCPEstablished, "127.0.0.1:9000", "127.0.0.1:40006"),
		sock(inspect.ProtoTCP6, inspect.TCPEstablished, "[::ffff:192.0.2.1]:8443", "[::ffff:192.0.2.12]:40007"),
	}
	names := map[string]*inspect.Peer{
		"192.0.2.10": {Kind: inspect.PeerPod, Namespace: "shop", Name: "web-1", Workload: "deployment/web"},
		"192.0.2.11": {Kind: inspect.PeerPod, Namespace: "shop", Name: "web-2", Workload: "deployment/web"},
		"192.0.2.12": {Kind: inspect.PeerNode, Name: "worker-1"},
	}
	got := CountPeers(ls, socks, func(s *inspect.Socket) *inspect.Peer { return names[s.Remote.Addr().Unmap().String()] })
	want := map[PeerKey][]PeerCount{
		KeyOf(&ls[0]): {{Peer: "shop/deployment/web", Kind: "pod", Count: 3}, {Peer: "203.0.113.9", Count: 1}},
		KeyOf(&ls[1]): {{Peer: "127.0.0.1", Count: 1}},
		KeyOf(&ls[3]): {{Peer: "node/worker-1", Kind: "node", Count: 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}
