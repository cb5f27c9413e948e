package inspect

import (
	"fmt"
	"net/netip"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/runtime"
)

// Proto is a socket table as netstat names it.
type Proto uint8

// Socket tables in netstat's print order.
const (
	ProtoTCP Proto = iota + 1
	ProtoTCP6
	ProtoUDP
	ProtoUDP6
	ProtoUDPLite
	ProtoUDPLite6
	ProtoRaw
	ProtoRaw6
	ProtoUnix
)

var protoNames = [...]string{"", "tcp", "tcp6", "udp", "udp6", "udpl", "udpl6", "raw", "raw6", "unix"}

// String returns netstat's Proto column text.
func (p Proto) String() string {
	if int(p) < len(protoNames) {
		return protoNames[p]
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// MarshalText implements encoding.TextMarshaler.
func (p Proto) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// IsV6 reports whether the table is an IPv6 one.
func (p Proto) IsV6() bool {
	return p == ProtoTCP6 || p == ProtoUDP6 || p == ProtoUDPLite6 || p == ProtoRaw6
}

// IsTCP, IsUDP and IsRaw group the v4 and v6 tables.
func (p Proto) IsTCP() bool { return p == ProtoTCP || p == ProtoTCP6 }
func (p Proto) IsUDP() bool {
	return p == ProtoUDP || p == ProtoUDP6 || p == ProtoUDPLite || p == ProtoUDPLite6
}
func (p Proto) IsRaw() bool { return p == ProtoRaw || p == ProtoRaw6 }

// TCPState is the kernel's TCP state number (include/net/tcp_states.h).
type TCPState uint8

// Kernel TCP states.
const (
	TCPEstablished TCPState = 1 + iota
	TCPSynSent
	TCPSynRecv
	TCPFinWait1
	TCPFinWait2
	TCPTimeWait
	TCPClose
	TCPCloseWait
	TCPLastAck
	TCPListen
	TCPClosing
	TCPNewSynRecv
)

var tcpStateNames = [...]string{"", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "SYN_RECV"}

// String returns netstat's State word ("" for 0).
func (s TCPState) String() string {
	if int(s) < len(tcpStateNames) {
		return tcpStateNames[s]
	}
	return "UNKNOWN"
}

// MarshalText implements encoding.TextMarshaler.
func (s TCPState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Unix socket types (include/linux/net.h).
type UnixType uint16

var unixTypeNames = map[UnixType]string{1: "STREAM", 2: "DGRAM", 3: "RAW", 4: "RDM", 5: "SEQPACKET"}

// String returns netstat's Type word.
func (t UnixType) String() string {
	if s, ok := unixTypeNames[t]; ok {
		return s
	}
	return "UNKNOWN"
}

// MarshalText implements encoding.TextMarshaler.
func (t UnixType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnixFlags are the /proc/net/unix Flags bits netstat knows.
type UnixFlags uint32

// Flag bits as netstat decodes them.
const (
	UnixAcceptCon UnixFlags = 1 << 16 // __SO_ACCEPTCON: a listener
	UnixWaitData  UnixFlags = 1 << 17
	UnixNoSpace   UnixFlags = 1 << 18
)

// Words returns the flag names netstat prints between brackets.
func (f UnixFlags) Words() []string {
	w := []string{}
	if f&UnixAcceptCon != 0 {
		w = append(w, "ACC")
	}
	if f&UnixWaitData != 0 {
		w = append(w, "W")
	}
	if f&UnixNoSpace != 0 {
		w = append(w, "N")
	}
	return w
}

// Unix socket states (SS_* from include/uapi/linux/net.h).
const (
	UnixFree          = 0
	UnixUnconnected   = 1
	UnixConnecting    = 2
	UnixConnected     = 3
	UnixDisconnecting = 4
)

// UnixInfo holds what only UNIX sockets have.
type UnixInfo struct {
	RefCnt   uint32
	Protocol uint32 // netstat prints "??" as Proto when non-zero
	Flags    UnixFlags
	Type     UnixType
	// State is the SS_* socket state.
	State uint8
	// Path is the bound path as the kernel shows it (abstract names start with '@').
	Path string
	// NoInode is set when the kernel's table has no Inode column.
	NoInode bool
}

// Socket is one row of a socket table, in the values /proc/net/* shows.
type Socket struct {
	Proto Proto
	// Local and Remote are the endpoints; for raw sockets the port is the IP protocol.
	// IPv4 tables hold 4-byte addresses, IPv6 tables 16-byte ones (v4-mapped kept as such).
	Local, Remote netip.AddrPort
	// State is the kernel state number: TCP states for tcp, TCP_ESTABLISHED(1)/TCP_CLOSE(7)
	// for udp and raw, SS_* in Unix.State for unix sockets.
	State TCPState
	RecvQ uint64
	SendQ uint64
	UID   uint32
	Inode uint64

	// Timer, TimerTicks (clock ticks, 1/100 s), Retrans and Probes are /proc/net/tcp's
	// tr, tm->when, retrnsmt and timeout columns.
	Timer      uint8
	TimerTicks int64
	Retrans    uint32
	Probes     uint32

	// Unix is set for ProtoUnix only.
	Unix *UnixInfo

	// Owner is the process holding the socket's inode (lowest PID), nil when unknown.
	Owner *Process
}

// Process is a process as -p shows it and as containers are attributed.
type Process struct {
	PID int
	// Name is netstat's program name: argv[0], basename when absolute.
	Name string
	// Comm is /proc/PID/comm.
	Comm string
	// Container is the container the process runs in, nil for host processes.
	Container *Container
}

// Runtime, its constants and Pod live in inspect/runtime, which returns
// them; these aliases keep inspect's API unchanged.
type (
	Runtime = runtime.Runtime
	Pod     = runtime.Pod
)

// Known runtimes (see runtime.Runtime).
const (
	RuntimeUnknown    = runtime.RuntimeUnknown
	RuntimeContainerd = runtime.RuntimeContainerd
	RuntimeCRIO       = runtime.RuntimeCRIO
	RuntimeDocker     = runtime.RuntimeDocker
	RuntimePodman     = runtime.RuntimePodman
	RuntimeLXC        = runtime.RuntimeLXC
	RuntimeNspawn     = runtime.RuntimeNspawn
	RuntimeRunc       = runtime.RuntimeRunc
	RuntimeCrun       = runtime.RuntimeCrun
)

// Confidence says which source named a container.
type Confidence uint8

// Confidence levels, weakest first.
const (
	ConfidenceHeuristic Confidence = iota
	ConfidenceCgroupOnly
	ConfidenceStateFile
	ConfidenceAPI
)

var confidenceNames = [...]string{"heuristic", "cgroup-only", "state-file", "api"}

// String returns the confidence word.
func (c Confidence) String() string {
	if int(c) < len(confidenceNames) {
		return confidenceNames[c]
	}
	return "heuristic"
}

// MarshalText implements encoding.TextMarshaler.
func (c Confidence) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Container is one container found on the host.
type Container struct {
	Runtime Runtime
	ID      string
	Name    string
	Image   string
	Pod     *Pod
	// Sandbox marks a pod's sandbox (pause/infra) container.
	Sandbox     bool
	HostNetwork bool
	Confidence  Confidence
	// PIDs are the host PIDs of the container's processes.
	PIDs []int
	// NetnsInode is the container's network namespace, 0 when unknown.
	NetnsInode uint64
}

// NetnsKind classifies a network namespace.
type NetnsKind uint8

// Netns kinds, as the text and JSON output name them.
const (
	NetnsUnknown NetnsKind = iota
	NetnsHost
	NetnsPod
	NetnsContainer
	NetnsNamed
)

var netnsKindNames = [...]string{"unknown", "host", "pod", "container", "named"}

// String returns the kind word of the text and JSON output.
func (k NetnsKind) String() string {
	if int(k) < len(netnsKindNames) {
		return netnsKindNames[k]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (k NetnsKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Netns is one network namespace on the host.
type Netns struct {
	Dev   uint64
	Inode uint64
	Kind  NetnsKind
	// Names are bind-mount paths (e.g. /run/netns/cni-…), host-root relative paths as seen by the host.
	Names []string
	// Attributed is the container that owns the namespace (pod sandbox, joined container), nil if none.
	Attributed *Container
	// Containers are every container with a process in the namespace.
	Containers []*Container
	// PIDs are processes whose network namespace this is.
	PIDs []int
	// Path is a path that opens the namespace (/proc/PID/ns/net or a bind mount).
	Path string
}
