package inspect

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"
)

// The netlink libraries in use (vishvananda/netlink) hard-code "all states"
// in their sock_diag requests and cannot ask for RAW or UDP-Lite tables, so
// the request and the fixed-size inet_diag_msg are encoded here; the
// transport is plain x/sys/unix.

const (
	sizeofNlMsghdr     = unix.SizeofNlMsghdr // 16
	sizeofInetDiagReq  = 56
	sizeofInetDiagReq1 = 60 // struct inet_diag_req (the original request)
	tcpDiagGetSock     = 18 // TCPDIAG_GETSOCK
	sizeofInetDiagMsg  = 72
	sockDiagByFamily   = 20 // SOCK_DIAG_BY_FAMILY
	diagRecvBufferSize = 64 << 10
)

var diagBufPool = sync.Pool{New: func() any { b := make([]byte, diagRecvBufferSize); return &b }}

func diagTarget(p Proto) (family, protocol uint8, err error) {
	switch p {
	case ProtoTCP:
		return unix.AF_INET, unix.IPPROTO_TCP, nil
	case ProtoTCP6:
		return unix.AF_INET6, unix.IPPROTO_TCP, nil
	case ProtoUDP:
		return unix.AF_INET, unix.IPPROTO_UDP, nil
	case ProtoUDP6:
		return unix.AF_INET6, unix.IPPROTO_UDP, nil
	case ProtoUDPLite:
		return unix.AF_INET, unix.IPPROTO_UDPLITE, nil
	case ProtoUDPLite6:
		return unix.AF_INET6, unix.IPPROTO_UDPLITE, nil
	case ProtoRaw:
		return unix.AF_INET, unix.IPPROTO_RAW, nil
	case ProtoRaw6:
		return unix.AF_INET6, unix.IPPROTO_RAW, nil
	}
	return 0, 0, fmt.Errorf("sock_diag: %s: %w", p, ErrDiagUnsupported)
}

// DiagDump asks the kernel, through a NETLINK_SOCK_DIAG socket fd (opened in
// the namespace to read), for one table filtered by the TCP-state mask, and
// appends the rows to out. The state mask is applied by the kernel, so a
// listening-only query never walks established sockets.
func DiagDump(fd int, p Proto, states uint32, out []Socket) ([]Socket, error) {
	family, protocol, err := diagTarget(p)
	if err != nil {
		return out, err
	}
	var req [sizeofNlMsghdr + sizeofInetDiagReq]byte
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], 1) // seq
	r := req[sizeofNlMsghdr:]
	r[0] = family
	r[1] = protocol
	if p.IsRaw() {
		// For raw sockets the pad byte is sdiag_raw_protocol; IPPROTO_RAW asks for all of them.
		r[1] = unix.IPPROTO_RAW
		r[3] = unix.IPPROTO_RAW
	}
	ne.PutUint32(r[4:], states)
	// Cookie "no cookie" is all ones; required to be set only for exact lookups, harmless here.
	ne.PutUint32(r[48:], ^uint32(0))
	ne.PutUint32(r[52:], ^uint32(0))

	if err := unix.Sendto(fd, req[:], 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return out, fmt.Errorf("sock_diag %s: send: %w", p, err)
	}
	return diagRecv(fd, p, false, out)
}

// DiagDumpTCP dumps TCP over IPv4 and IPv6 in one pass of the kernel's
// socket hashes and appends the rows, each with ProtoTCP or ProtoTCP6, in
// kernel order. The hashes are shared by every namespace, so each dump walks
// all their buckets; asking once instead of once per family halves that
// work for a full (-a) listing. It uses the original TCPDIAG_GETSOCK request,
// which the kernel serves with family AF_UNSPEC (both families).
func DiagDumpTCP(fd int, states uint32, out []Socket) ([]Socket, error) {
	var req [sizeofNlMsghdr + sizeofInetDiagReq1]byte
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], tcpDiagGetSock)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], 1)
	r := req[sizeofNlMsghdr:]
	r[0] = unix.AF_INET // idiag_family: only checked for the request's size
	// struct inet_diag_sockid (48 bytes) at 4; idiag_states after it.
	ne.PutUint32(r[44:], ^uint32(0)) // cookie: none
	ne.PutUint32(r[48:], ^uint32(0))
	ne.PutUint32(r[52:], states)
	if err := unix.Sendto(fd, req[:], 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return out, fmt.Errorf("sock_diag tcp: send: %w", err)
	}
	return diagRecv(fd, ProtoTCP, true, out)
}

// diagRecv reads one dump's replies. With both set, p's IPv6 twin is used
// for AF_INET6 rows.
func diagRecv(fd int, p Proto, both bool, out []Socket) ([]Socket, error) {
	ne := binary.NativeEndian
	bp := diagBufPool.Get().(*[]byte)
	defer diagBufPool.Put(bp)
	buf := *bp
	interrupted := false
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return out, fmt.Errorf("sock_diag %s: recv: %w", p, err)
		}
		b := buf[:n]
		for len(b) >= sizeofNlMsghdr {
			l := int(ne.Uint32(b[0:]))
			typ := ne.Uint16(b[4:])
			flags := ne.Uint16(b[6:])
			if l < sizeofNlMsghdr || l > len(b) {
				return out, fmt.Errorf("sock_diag %s: %w: bad netlink length %d", p, ErrParse, l)
			}
			if flags&unix.NLM_F_DUMP_INTR != 0 {
				interrupted = true
			}
			payload := b[sizeofNlMsghdr:l]
			switch typ {
			case unix.NLMSG_DONE:
				if len(payload) >= 4 {
					if e := int32(ne.Uint32(payload)); e < 0 {
						return out, diagErrno(p, unix.Errno(-e))
					}
				}
				if interrupted {
					return out, ErrDumpInterrupted
				}
				return out, nil
			case unix.NLMSG_ERROR:
				if len(payload) >= 4 {
					if e := int32(ne.Uint32(payload)); e < 0 {
						return out, diagErrno(p, unix.Errno(-e))
					}
				}
			case sockDiagByFamily, tcpDiagGetSock:
				if len(payload) >= sizeofInetDiagMsg {
					q := p
					if both && payload[0] == unix.AF_INET6 {
						q = ProtoTCP6
					}
					var sk Socket
					decodeInetDiagMsg(payload, q, &sk)
					out = append(out, sk)
				}
			}
			// Messages are 4-byte aligned.
			adv := (l + 3) &^ 3
			if adv > len(b) {
				break
			}
			b = b[adv:]
		}
	}
}

func diagErrno(p Proto, e unix.Errno) error {
	if e == unix.ENOENT || e == unix.EOPNOTSUPP || e == unix.EINVAL || e == unix.EPROTONOSUPPORT {
		return fmt.Errorf("sock_diag %s: %w (%v)", p, ErrDiagUnsupported, e)
	}
	return fmt.Errorf("sock_diag %s: %w", p, e)
}

// decodeInetDiagMsg fills sk from a struct inet_diag_msg, converting to the
// values /proc/net/tcp would show.
func decodeInetDiagMsg(m []byte, p Proto, sk *Socket) {
	ne := binary.NativeEndian
	sk.Proto = p
	sk.State = TCPState(m[1])
	sk.Timer = m[2]
	retrans := uint32(m[3])
	sport := binary.BigEndian.Uint16(m[4:])
	dport := binary.BigEndian.Uint16(m[6:])
	if m[0] == unix.AF_INET {
		sk.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(m[8:12])), sport)
		sk.Remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(m[24:28])), dport)
	} else {
		sk.Local = netip.AddrPortFrom(netip.AddrFrom16([16]byte(m[8:24])), sport)
		sk.Remote = netip.AddrPortFrom(netip.AddrFrom16([16]byte(m[24:40])), dport)
	}
	expiresMS := ne.Uint32(m[52:])
	sk.RecvQ = uint64(ne.Uint32(m[56:]))
	sk.SendQ = uint64(ne.Uint32(m[60:]))
	sk.UID = ne.Uint32(m[64:])
	sk.Inode = uint64(ne.Uint32(m[68:]))
	if p.IsTCP() {
		if sk.State == TCPNewSynRecv {
			sk.State = TCPSynRecv
		}
		// For a listener the diag write queue is the backlog limit; /proc shows 0.
		if sk.State == TCPListen {
			sk.SendQ = 0
		}
		// inet_diag reports icsk_retransmits for the retransmit timer and
		// icsk_probes_out for keepalive and zero-window probes; /proc puts the
		// latter in its "timeout" column.
		switch sk.Timer {
		case 2, 4:
			sk.Probes = retrans
		default:
			sk.Retrans = retrans
		}
	}
	if sk.Timer != 0 {
		sk.TimerTicks = int64(expiresMS / 10) // USER_HZ = 100
	}
	if p.IsRaw() {
		// Raw sockets report the IP protocol as the local "port", like /proc/net/raw.
		sk.Remote = netip.AddrPortFrom(sk.Remote.Addr(), 0)
	}
}
