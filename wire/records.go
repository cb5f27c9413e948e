package wire

import "github.com/kubectl-netstat/kubectl-netstat/inspect"

// SocketRecord is the JSON record of one socket. Pointer fields are null
// when the information is absent: addresses, ports, uid and queues of UNIX
// sockets (/proc/net/unix has none), pid and program when the owner is
// unknown, unix for Internet sockets, netns and container when not given.
type SocketRecord struct {
	Proto          string  `json:"proto"`
	RecvQ          *uint64 `json:"recv_q"`
	SendQ          *uint64 `json:"send_q"`
	LocalAddress   *string `json:"local_address"`
	LocalPort      *uint16 `json:"local_port"`
	ForeignAddress *string `json:"foreign_address"`
	ForeignPort    *uint16 `json:"foreign_port"`
	// State is netstat's word ("" where netstat prints none); for raw
	// sockets it is the kernel's state number in decimal ("7"), as netstat
	// prints it.
	State     string           `json:"state"`
	UID       *uint32          `json:"uid"`
	Inode     *uint64          `json:"inode"`
	PID       *int             `json:"pid"`
	Program   *string          `json:"program"`
	Unix      *UnixRecord      `json:"unix"`
	Netns     *NetnsRecord     `json:"netns"`
	Container *ContainerRecord `json:"container"`
	// ForeignPeer and LocalPeer are the cluster names of the two ends, null
	// when unknown (set by the caller; see PeerRecord).
	ForeignPeer *PeerRecord `json:"foreign_peer"`
	LocalPeer   *PeerRecord `json:"local_peer"`
	// Time is set by the caller under -c (RFC 3339); omitted otherwise.
	Time string `json:"time,omitempty"`
}

// UnixRecord is the unix object of a socket record.
type UnixRecord struct {
	Type  string   `json:"type"`
	Flags []string `json:"flags"`
	// Path is the bound path as the kernel shows it ("" when unnamed;
	// abstract names start with '@').
	Path string `json:"path"`
}

// NetnsRecord is the netns object of a record.
type NetnsRecord struct {
	Inode uint64   `json:"inode"`
	Kind  string   `json:"kind"`
	Names []string `json:"names"`
}

// ContainerRecord is the container object of a record. Name and image are
// null when the runtime did not tell them.
type ContainerRecord struct {
	Runtime     string       `json:"runtime"`
	ID          string       `json:"id"`
	Name        *string      `json:"name"`
	Image       *string      `json:"image"`
	Pod         *inspect.Pod `json:"pod"`
	HostNetwork bool         `json:"host_network"`
}

// PeerRecord is the foreign_peer / local_peer object of a socket record:
// namespace is null for nodes, port_name null when the port has no name.
type PeerRecord struct {
	Kind      string  `json:"kind"`
	Namespace *string `json:"namespace"`
	Name      string  `json:"name"`
	PortName  *string `json:"port_name"`
}

// Route4Record is the JSON record of an IPv4 route (-r): /proc/net/route's
// columns plus the namespace and its owner.
type Route4Record struct {
	Family string `json:"family"`
	*inspect.Route4
	Netns     *NetnsRecord     `json:"netns"`
	Container *ContainerRecord `json:"container"`
	Time      string           `json:"time,omitempty"`
}

// Route6Record is the JSON record of an IPv6 route (-r -6).
type Route6Record struct {
	Family string `json:"family"`
	*inspect.Route6
	Netns     *NetnsRecord     `json:"netns"`
	Container *ContainerRecord `json:"container"`
	Time      string           `json:"time,omitempty"`
}

// InterfaceRecord is the JSON record of an interface (-i).
type InterfaceRecord struct {
	*inspect.Interface
	Netns     *NetnsRecord     `json:"netns"`
	Container *ContainerRecord `json:"container"`
	Time      string           `json:"time,omitempty"`
}

// StatsRecord is the JSON record of -s: every counter by section and key.
type StatsRecord struct {
	Statistics map[string]map[string]uint64 `json:"statistics"`
	Netns      *NetnsRecord                 `json:"netns"`
	Container  *ContainerRecord             `json:"container"`
	Time       string                       `json:"time,omitempty"`
}

// NamespaceRecord is one row of `kubectl-netstat namespaces -o json`;
// sockets is null when the namespace could not be read.
type NamespaceRecord struct {
	Inode      uint64             `json:"inode"`
	Kind       string             `json:"kind"`
	Names      []string           `json:"names"`
	Owner      *ContainerRecord   `json:"owner"`
	Containers []*ContainerRecord `json:"containers"`
	PIDs       []int              `json:"pids"`
	Sockets    *int               `json:"sockets"`
}

// ContainerListRecord is one row of `kubectl-netstat containers -o json`.
type ContainerListRecord struct {
	*ContainerRecord
	Sandbox    bool   `json:"sandbox"`
	PIDs       []int  `json:"pids"`
	NetnsInode uint64 `json:"netns_inode"`
	Confidence string `json:"confidence"`
}

// AuditRecord is the JSON record of one audit row; an agent prints these
// for `audit --all-nodes` and the client decodes them (DecodeAudit). Absent
// information is null: pid and program for an unknown owner, address and
// port for unix listeners, unix_path for Internet ones, netns and container
// when unknown, verdict without a policy.
type AuditRecord struct {
	Netns       *NetnsRecord     `json:"netns"`
	Container   *ContainerRecord `json:"container"`
	PID         *int             `json:"pid"`
	Program     *string          `json:"program"`
	Proto       string           `json:"proto"`
	Address     *string          `json:"address"`
	Port        *uint16          `json:"port"`
	UnixPath    *string          `json:"unix_path"`
	Exposure    string           `json:"exposure"`
	HostNetwork bool             `json:"host_network"`
	Verdict     *VerdictRecord   `json:"verdict"`
	// Peers counts the connections open to the listener by peer; present
	// only when they were counted (audit --output wide|json).
	Peers *[]PeerCountRecord `json:"peers,omitempty"`
	// Node names the node a cluster-wide audit read the listener on.
	Node string `json:"node,omitempty"`
}

// VerdictRecord is the verdict object of an audit record; rule is the index
// in the policy's rules list, null when the default decided.
type VerdictRecord struct {
	Allowed bool   `json:"allowed"`
	Rule    *int   `json:"rule"`
	Reason  string `json:"reason"`
}

// PeerCountRecord is one element of an audit record's peers: kind is null
// for a peer known only by its address.
type PeerCountRecord struct {
	Peer  string  `json:"peer"`
	Kind  *string `json:"kind"`
	Count int     `json:"count"`
}

// AuditEventRecord is one `audit --watch` event: an audit record with the
// time of the pass (RFC 3339) and EventOpened or EventClosed in front.
type AuditEventRecord struct {
	Time  string `json:"time"`
	Event string `json:"event"`
	AuditRecord
}

// Watch event words.
const (
	EventOpened = "opened"
	EventClosed = "closed"
)

// FindingRecord is the JSON record of a declared-vs-actual finding
// (audit --declared); container is null when unknown, listener is the audit
// record of the listening socket (null for not-listening).
type FindingRecord struct {
	Finding   string       `json:"finding"`
	Namespace string       `json:"namespace"`
	Pod       string       `json:"pod"`
	Container *string      `json:"container"`
	Proto     string       `json:"proto"`
	Port      uint16       `json:"port"`
	Listener  *AuditRecord `json:"listener"`
}

// LineRecord carries one line of netstat text through an agent pod's log
// unchanged: {"line": "…"} (see LineWriter and DecodeFrame).
type LineRecord struct {
	Line string `json:"line"`
}
