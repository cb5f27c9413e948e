package output

import (
	"strconv"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// NewSocketRecord builds the JSON record of s in namespace ns, attributed to
// container c (the caller picks: the owning process's container, else the
// namespace's attributed container). Addresses are always numeric, in netstat -n's text
// (glibc inet_ntop, v4-mapped addresses as dotted IPv4, :: for the
// unspecified IPv6 address).
func NewSocketRecord(s *inspect.Socket, ns *inspect.Netns, c *inspect.Container) wire.SocketRecord {
	r := wire.SocketRecord{
		Proto:     s.Proto.String(),
		Netns:     NewNetnsRecord(ns),
		Container: NewContainerRecord(c),
	}
	if s.Owner != nil && s.Inode != 0 {
		pid, name := s.Owner.PID, s.Owner.Name
		r.PID, r.Program = &pid, &name
	}
	if u := s.Unix; u != nil {
		r.State = unixStateText(u)
		if !u.NoInode {
			r.Inode = ptr(s.Inode)
		} else {
			r.PID, r.Program = nil, nil
		}
		r.Unix = &wire.UnixRecord{Type: u.Type.String(), Flags: u.Flags.Words(), Path: u.Path}
		return r
	}
	r.RecvQ, r.SendQ = ptr(s.RecvQ), ptr(s.SendQ)
	r.LocalAddress = ptr(NumericAddr(s.Local.Addr()))
	r.LocalPort = ptr(s.Local.Port())
	r.ForeignAddress = ptr(NumericAddr(s.Remote.Addr()))
	r.ForeignPort = ptr(s.Remote.Port())
	switch {
	case s.Proto.IsTCP():
		r.State = tcpStateText(s.State)
	case s.Proto.IsRaw():
		r.State = strconv.FormatUint(uint64(s.State), 10)
	default:
		r.State = udpStateText(s.State)
	}
	r.UID = ptr(s.UID)
	r.Inode = ptr(s.Inode)
	return r
}

// NewNetnsRecord returns the netns object, nil (null) when ns is nil.
func NewNetnsRecord(ns *inspect.Netns) *wire.NetnsRecord {
	if ns == nil {
		return nil
	}
	names := ns.Names
	if names == nil {
		names = []string{}
	}
	return &wire.NetnsRecord{Inode: ns.Inode, Kind: ns.Kind.String(), Names: names}
}

// NewContainerRecord returns the container object, nil (null) when c is nil.
func NewContainerRecord(c *inspect.Container) *wire.ContainerRecord {
	if c == nil {
		return nil
	}
	r := &wire.ContainerRecord{Runtime: c.Runtime.String(), ID: c.ID, Pod: c.Pod, HostNetwork: c.HostNetwork}
	if c.Name != "" {
		r.Name = ptr(c.Name)
	}
	if c.Image != "" {
		r.Image = ptr(c.Image)
	}
	return r
}

func ptr[T any](v T) *T { return &v }
