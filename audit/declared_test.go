package audit

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

func TestCompareDeclared(t *testing.T) {
	web := &inspect.Pod{Namespace: "default", Name: "web"}
	db := &inspect.Pod{Namespace: "data", Name: "db"}
	other := &inspect.Pod{Namespace: "default", Name: "unfetched"}
	nginx := &inspect.Container{Name: "nginx", Pod: web}
	envoy := &inspect.Container{Name: "envoy", Pod: web}
	pause := &inspect.Container{Name: "pause", Pod: web, Sandbox: true}
	pg := &inspect.Container{Name: "postgres", Pod: db}
	lst := func(c *inspect.Container, proto inspect.Proto, addr string, port uint16) Listener {
		a := netip.MustParseAddr(addr)
		return Listener{Container: c, Proto: proto, Addr: a, Port: port, Exposure: Classify(a)}
	}
	listeners := []Listener{
		lst(nginx, inspect.ProtoTCP, "0.0.0.0", 80),                                    // declared
		lst(nginx, inspect.ProtoTCP6, "::", 80),                                        // declared, other family
		lst(nginx, inspect.ProtoTCP, "0.0.0.0", 8081),                                  // probe port: fine
		lst(envoy, inspect.ProtoTCP, "0.0.0.0", 15001),                                 // undeclared
		lst(envoy, inspect.ProtoTCP6, "::", 15001),                                     // same port again: one finding
		lst(envoy, inspect.ProtoTCP, "127.0.0.1", 15000),                               // loopback: never undeclared
		lst(pause, inspect.ProtoUDP, "0.0.0.0", 5353),                                  // owner known only as the sandbox
		lst(pg, inspect.ProtoTCP, "0.0.0.0", 5432),                                     // declared
		lst(pg, inspect.ProtoUDP, "0.0.0.0", 5432),                                     // declared TCP only
		lst(&inspect.Container{Name: "x", Pod: other}, inspect.ProtoTCP, "0.0.0.0", 1), // pod not fetched
		lst(nil, inspect.ProtoTCP, "0.0.0.0", 22),                                      // host, no pod
		{Container: nginx, Proto: inspect.ProtoUnix, UnixPath: "/run/x.sock", Exposure: ExposureLocal},
	}
	declared := []DeclaredPort{
		{Namespace: "default", Pod: "web", Container: "nginx", Port: 80, Proto: "TCP"},
		{Namespace: "default", Pod: "web", Container: "nginx", Port: 8081, Probe: true},
		{Namespace: "default", Pod: "web", Container: "nginx", Port: 9090, Probe: true}, // probe nobody answers: not ours to report
		{Namespace: "default", Pod: "web", Container: "nginx", Port: 443},               // "" = TCP, nobody listens
		{Namespace: "default", Pod: "web", Container: "envoy", Port: 15000, Proto: "TCP"},
		{Namespace: "data", Pod: "db", Container: "postgres", Port: 5432, Proto: "tcp"},
		{Namespace: "data", Pod: "db", Container: "postgres", Port: 9187, Proto: "UDP"},
		{Namespace: "data", Pod: "db", Container: "postgres", Port: 9187, Proto: "UDP"}, // repeated: one finding
		{Namespace: "data", Pod: "db", Container: "postgres", Port: 7, Proto: "SCTP"},   // not read: never reported
		{Namespace: "default", Pod: "empty"},                                            // fetched, declares nothing
	}
	want := []Finding{
		{Kind: FindingUndeclared, Namespace: "data", Pod: "db", Container: "postgres", Port: 5432, Proto: "UDP", Listener: &listeners[8]},
		{Kind: FindingNotListening, Namespace: "data", Pod: "db", Container: "postgres", Port: 9187, Proto: "UDP"},
		{Kind: FindingUndeclared, Namespace: "default", Pod: "web", Container: "envoy", Port: 15001, Proto: "TCP", Listener: &listeners[3]},
		{Kind: FindingUndeclared, Namespace: "default", Pod: "web", Port: 5353, Proto: "UDP", Listener: &listeners[6]},
		{Kind: FindingNotListening, Namespace: "default", Pod: "web", Container: "nginx", Port: 443, Proto: "TCP"},
	}
	got := CompareDeclared(listeners, declared)
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("CompareDeclared (-want +got):\n%s", diff)
	}
	if got := CompareDeclared(nil, nil); got != nil {
		t.Errorf("CompareDeclared(nil, nil) = %v, want nil", got)
	}
}
