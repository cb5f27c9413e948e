package inspect

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// PeerKind says what a cluster address belongs to.
type PeerKind uint8

// Peer kinds of the JSON records' foreign_peer / local_peer objects.
const (
	PeerPod PeerKind = iota + 1
	PeerService
	PeerNode
)

var peerKindNames = [...]string{"", "pod", "service", "node"}

// String returns the kind word of the JSON records.
func (k PeerKind) String() string {
	if int(k) < len(peerKindNames) {
		return peerKindNames[k]
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler.
func (k PeerKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Peer is the cluster name of one end of a connection.
type Peer struct {
	Kind      PeerKind
	Namespace string // "" for nodes
	Name      string
	// PortName is the Service port's or the pod's containerPort's name for
	// the socket's port and protocol, "" when the port has no name.
	PortName string
	// Workload is the pod's controller ("deployment/web", "statefulset/db"),
	// "" when the pod has none or for services and nodes.
	Workload string
}

// Text is the name shown in address columns: NAMESPACE/NAME for a pod,
// svc/NAMESPACE/NAME for a Service, node/NAME for a node.
func (p *Peer) Text() string {
	switch p.Kind {
	case PeerPod:
		return p.Namespace + "/" + p.Name
	case PeerService:
		return "svc/" + p.Namespace + "/" + p.Name
	case PeerNode:
		return "node/" + p.Name
	}
	return ""
}

// WorkloadText groups peers for counting: the pod's controller in its
// namespace when known, else the peer's own name.
func (p *Peer) WorkloadText() string {
	if p.Kind == PeerPod && p.Workload != "" {
		return p.Namespace + "/" + p.Workload
	}
	return p.Text()
}

// PeerPodInfo is what the peer table needs to know of one pod.
type PeerPodInfo struct {
	Namespace, Name string
	IPs             []netip.Addr
	// Running is the pod's phase being Running; other pods never name an IP.
	Running     bool
	HostNetwork bool
	// Ports maps "port/PROTO" (8080/TCP) to the containerPort's name.
	Ports    map[string]string
	Workload string
}

// PeerServiceInfo is one Service: its cluster IPs (none for a headless one)
// and its port names by "port/PROTO".
type PeerServiceInfo struct {
	Namespace, Name string
	IPs             []netip.Addr
	Ports           map[string]string
}

// PeerTable maps cluster addresses to their names. An address claimed by
// more than one owner (two running pods, a pod and a node, …) is not named:
// the table never guesses. Build it with the Add methods, then only read it.
type PeerTable struct {
	owners map[netip.Addr][]peerEntry
}

type peerEntry struct {
	peer  Peer
	ports map[string]string
}

// NewPeerTable returns an empty table.
func NewPeerTable() *PeerTable { return &PeerTable{owners: map[netip.Addr][]peerEntry{}} }

func (t *PeerTable) add(a netip.Addr, e peerEntry) {
	a = a.Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() {
		return
	}
	for _, o := range t.owners[a] {
		if o.peer.Kind == e.peer.Kind && o.peer.Namespace == e.peer.Namespace && o.peer.Name == e.peer.Name {
			return // the same owner listed twice (status.podIP and podIPs)
		}
	}
	t.owners[a] = append(t.owners[a], e)
}

// AddPod records a pod's IPs. A pod that is not Running, or that uses the
// node's network (its IP is the node's), names nothing.
func (t *PeerTable) AddPod(p PeerPodInfo) {
	if !p.Running || p.HostNetwork {
		return
	}
	for _, a := range p.IPs {
		t.add(a, peerEntry{peer: Peer{Kind: PeerPod, Namespace: p.Namespace, Name: p.Name, Workload: p.Workload}, ports: p.Ports})
	}
}

// AddService records a Service's cluster IPs.
func (t *PeerTable) AddService(s PeerServiceInfo) {
	for _, a := range s.IPs {
		t.add(a, peerEntry{peer: Peer{Kind: PeerService, Namespace: s.Namespace, Name: s.Name}, ports: s.Ports})
	}
}

// AddNode records a node's addresses.
func (t *PeerTable) AddNode(name string, addrs []netip.Addr) {
	for _, a := range addrs {
		t.add(a, peerEntry{peer: Peer{Kind: PeerNode, Name: name}})
	}
}

// Len is the number of named addresses.
func (t *PeerTable) Len() int {
	if t == nil {
		return 0
	}
	n := 0
	for _, o := range t.owners {
		if len(o) == 1 {
			n++
		}
	}
	return n
}

// Lookup names the owner of ap for a socket of table proto, nil when the
// address is unknown, claimed twice, loopback or unspecified. A v4-mapped
// address is looked up as IPv4.
func (t *PeerTable) Lookup(ap netip.AddrPort, proto Proto) *Peer {
	if t == nil {
		return nil
	}
	o := t.owners[ap.Addr().Unmap()]
	if len(o) != 1 {
		return nil
	}
	p := o[0].peer
	if ap.Port() != 0 && o[0].ports != nil {
		p.PortName = o[0].ports[PortKey(ap.Port(), proto)]
	}
	return &p
}

// Conflicts lists the addresses more than one owner claims, sorted, with
// their claimants, for diagnostics (-v).
func (t *PeerTable) Conflicts() []string {
	if t == nil {
		return nil
	}
	var out []string
	for a, o := range t.owners {
		if len(o) < 2 {
			continue
		}
		names := make([]string, len(o))
		for i := range o {
			names[i] = o[i].peer.Text()
		}
		sort.Strings(names)
		out = append(out, a.String()+" claimed by "+strings.Join(names, ", "))
	}
	sort.Strings(out)
	return out
}

// PortKey is the key of the Ports maps: "8080/TCP", Kubernetes' protocol
// word for the socket table ("" for raw and unix sockets, which no port names).
func PortKey(port uint16, proto Proto) string {
	var p string
	switch {
	case proto.IsTCP():
		p = "TCP"
	case proto.IsUDP():
		p = "UDP"
	default:
		return ""
	}
	return strconv.Itoa(int(port)) + "/" + p
}

// K8sPortKey is PortKey for a Kubernetes port and protocol ("" means TCP).
func K8sPortKey(port int32, protocol string) string {
	if protocol == "" {
		protocol = "TCP"
	}
	return strconv.Itoa(int(port)) + "/" + protocol
}
