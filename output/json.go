package output

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// SocketRecord is the JSON socket record of the contract (cli-contract.md).
// Pointer fields are null when the information is absent: addresses, ports,
// uid and queues of UNIX sockets (/proc/net/unix has none), pid and program
// when the owner is unknown, unix for Internet sockets, netns and container
// when not given.
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

// NewSocketRecord builds the JSON record of s in namespace ns, attributed to
// container c (the caller picks: the owning process's container, else the
// namespace owner). Addresses are always numeric, in netstat -n's text
// (glibc inet_ntop, v4-mapped addresses as dotted IPv4, :: for the
// unspecified IPv6 address).
func NewSocketRecord(s *inspect.Socket, ns *inspect.Netns, c *inspect.Container) SocketRecord {
	r := SocketRecord{
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
		r.Unix = &UnixRecord{Type: u.Type.String(), Flags: u.Flags.Words(), Path: u.Path}
		return r
	}
	r.RecvQ, r.SendQ = ptr(s.RecvQ), ptr(s.SendQ)
	r.LocalAddress = ptr(string(appendHost(nil, s.Local.Addr(), true, NoNames{})))
	r.LocalPort = ptr(s.Local.Port())
	r.ForeignAddress = ptr(string(appendHost(nil, s.Remote.Addr(), true, NoNames{})))
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
func NewNetnsRecord(ns *inspect.Netns) *NetnsRecord {
	if ns == nil {
		return nil
	}
	names := ns.Names
	if names == nil {
		names = []string{}
	}
	return &NetnsRecord{Inode: ns.Inode, Kind: ns.Kind.String(), Names: names}
}

// NewContainerRecord returns the container object, nil (null) when c is nil.
func NewContainerRecord(c *inspect.Container) *ContainerRecord {
	if c == nil {
		return nil
	}
	r := &ContainerRecord{Runtime: c.Runtime.String(), ID: c.ID, Pod: c.Pod, HostNetwork: c.HostNetwork}
	if c.Name != "" {
		r.Name = ptr(c.Name)
	}
	if c.Image != "" {
		r.Image = ptr(c.Image)
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// WriteJSON writes records as one indented JSON array ("[]" when empty),
// streaming one record at a time. HTML characters are not escaped.
func WriteJSON[T any](w io.Writer, records []T) error {
	if len(records) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	for i := range records {
		buf.Reset()
		if i == 0 {
			buf.WriteString("[\n  ")
		} else {
			buf.WriteString(",\n  ")
		}
		if err := enc.Encode(records[i]); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n]\n")
	return err
}

// WriteNDJSON writes one record as one compact JSON line.
func WriteNDJSON(w io.Writer, record any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(record)
}
