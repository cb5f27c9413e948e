// Package audit turns socket tables into listener rows, checks them against a
// YAML policy, compares them with what pods declare and diffs successive
// passes for --watch. It is pure logic over inspect's model: it reads no files
// except the policy (LoadPolicy) and never renders (output does).
package audit

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// Exposure says from where a listener can be reached.
type Exposure uint8

// Exposure classes. ExposureUnknown is only seen for a zero Listener or an
// invalid address; FromSocket never classifies a valid address as unknown.
const (
	ExposureUnknown Exposure = iota
	// ExposureAllInterfaces is a wildcard bind (0.0.0.0, ::, ::ffff:0.0.0.0).
	ExposureAllInterfaces
	// ExposureLoopback is 127.0.0.0/8, ::1 or a v4-mapped loopback address.
	ExposureLoopback
	// ExposureSpecific is any other address (the Listener's Addr says which).
	ExposureSpecific
	// ExposureLocal is a unix socket: reachable through the file system (or,
	// for abstract names, from the same netns), never from the network.
	ExposureLocal
)

var exposureNames = [...]string{"unknown", "all-interfaces", "loopback", "specific", "local"}

// String returns the exposure word used in text, JSON and policies.
func (e Exposure) String() string {
	if int(e) < len(exposureNames) {
		return exposureNames[e]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler.
func (e Exposure) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// Listener is one row of the audit: a socket that accepts traffic.
type Listener struct {
	Netns *inspect.Netns
	// Container is the container the listener is attributed to, nil for host
	// or unknown.
	Container *inspect.Container
	// Process owns the socket, nil when unknown (not root, or no owner).
	Process *inspect.Process
	Proto   inspect.Proto
	// Addr and Port are the local endpoint as the kernel shows it (a
	// v4-mapped address stays v4-mapped); zero for unix listeners.
	Addr netip.Addr
	Port uint16
	// UnixPath is the bound path of a unix listener ('@' starts abstract
	// names, "" is unnamed).
	UnixPath string
	Exposure Exposure
	// HostNetwork is set when the socket lives in the host's network
	// namespace, whoever owns it.
	HostNetwork bool
}

// FromSocket returns the listener row of s, and false when s does not accept
// traffic: TCP sockets in LISTEN, UDP and UDP-Lite sockets with no remote
// endpoint (bound, unconnected), unix sockets with the ACC flag. Raw sockets
// are never listeners.
//
// c is the container the caller attributes the socket to; when it is nil the
// owning process's container, then the container the netns is attributed
// to, are used, so a row in a pod's netns is still tagged with the pod when the process is unknown.
// hostNetns says whether ns is the host's network namespace.
func FromSocket(s *inspect.Socket, ns *inspect.Netns, c *inspect.Container, hostNetns bool) (Listener, bool) {
	if s == nil {
		return Listener{}, false
	}
	switch {
	case s.Proto.IsTCP():
		if s.State != inspect.TCPListen {
			return Listener{}, false
		}
	case s.Proto.IsUDP():
		// A connected UDP socket only takes datagrams from its peer, so
		// it is a client, not a listener, whatever its state says.
		ra := s.Remote.Addr()
		if s.Remote.Port() != 0 || (ra.IsValid() && !ra.Unmap().IsUnspecified()) {
			return Listener{}, false
		}
	case s.Proto == inspect.ProtoUnix:
		if s.Unix == nil || s.Unix.Flags&inspect.UnixAcceptCon == 0 {
			return Listener{}, false
		}
	default:
		return Listener{}, false
	}
	if c == nil && s.Owner != nil {
		c = s.Owner.Container
	}
	if c == nil && ns != nil {
		c = ns.Attributed
	}
	l := Listener{
		Netns:       ns,
		Container:   c,
		Process:     s.Owner,
		Proto:       s.Proto,
		HostNetwork: hostNetns,
	}
	if s.Proto == inspect.ProtoUnix {
		l.UnixPath = s.Unix.Path
		l.Exposure = ExposureLocal
		return l, true
	}
	l.Addr, l.Port = s.Local.Addr(), s.Local.Port()
	l.Exposure = Classify(l.Addr)
	return l, true
}

// Classify returns the exposure of a bound address. A v4-mapped address is
// classified as the IPv4 address it carries.
func Classify(a netip.Addr) Exposure {
	if !a.IsValid() {
		return ExposureUnknown
	}
	a = a.Unmap()
	switch {
	case a.IsUnspecified():
		return ExposureAllInterfaces
	case a.IsLoopback():
		return ExposureLoopback
	default:
		return ExposureSpecific
	}
}

// NetnsInode returns the inode of the listener's netns, 0 when unknown.
func (l *Listener) NetnsInode() uint64 {
	if l.Netns == nil {
		return 0
	}
	return l.Netns.Inode
}

// PID returns the owning process's PID, 0 when unknown.
func (l *Listener) PID() int {
	if l.Process == nil {
		return 0
	}
	return l.Process.PID
}

// Program returns the owning process's program name, "" when unknown.
func (l *Listener) Program() string {
	if l.Process == nil {
		return ""
	}
	if l.Process.Name != "" {
		return l.Process.Name
	}
	return l.Process.Comm
}

// Pod returns the pod of the listener's container, nil when none.
func (l *Listener) Pod() *inspect.Pod {
	if l.Container == nil {
		return nil
	}
	return l.Container.Pod
}

// SortListeners orders rows by netns inode, proto, address, port, unix path
// and PID, so output is stable from one pass to the next.
func SortListeners(ls []Listener) {
	slices.SortStableFunc(ls, func(a, b Listener) int {
		return cmp.Or(
			cmp.Compare(a.NetnsInode(), b.NetnsInode()),
			cmp.Compare(a.Proto, b.Proto),
			a.Addr.Compare(b.Addr),
			cmp.Compare(a.Port, b.Port),
			cmp.Compare(a.UnixPath, b.UnixPath),
			cmp.Compare(a.PID(), b.PID()),
		)
	})
}
