package inspect

import (
	"net/netip"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/bpfowner"
	"golang.org/x/sys/unix"
)

// walkSockets walks the host's socket tables once (bpfowner.SockWalk) and
// returns the part of each namespace in want (nil: every namespace) whose
// tables were walked; a namespace left out is read with its own dumps.
// conns: walk every TCP socket, not only listeners.
func (fs FS) walkSockets(want map[uint64]bool, conns bool) (map[uint64]*walkedNs, error) {
	if err := bpfPrecheck(fs.Proc()); err != nil {
		return nil, err
	}
	w, err := bpfowner.SharedSockWalk()
	if err != nil {
		return nil, err
	}
	got := make(map[uint64]*walkedNs, len(want))
	info, err := w.Pass(conns, func(r *bpfowner.SockRecord) {
		ino := uint64(r.Netns)
		if want != nil && !want[ino] {
			return
		}
		ns := got[ino]
		if ns == nil {
			ns = &walkedNs{}
			got[ino] = ns
		}
		var sk Socket
		decodeWalked(r, &sk)
		switch sk.Proto {
		case ProtoTCP:
			ns.tcp = append(ns.tcp, sk)
		case ProtoTCP6:
			ns.tcp6 = append(ns.tcp6, sk)
		case ProtoUDP:
			ns.udp = append(ns.udp, sk)
		case ProtoUDP6:
			ns.udp6 = append(ns.udp6, sk)
		case ProtoUDPLite:
			ns.udplite = append(ns.udplite, sk)
		case ProtoUDPLite6:
			ns.udplite6 = append(ns.udplite6, sk)
		}
	})
	if err != nil {
		return nil, err
	}
	if want == nil {
		want = info.Covered
	}
	for ino := range want {
		switch {
		case !info.Covered[ino]:
			delete(got, ino)
		case got[ino] == nil:
			got[ino] = &walkedNs{lite: info.UDPLite, conns: info.Conns} // walked, and holds none
		default:
			got[ino].lite, got[ino].conns = info.UDPLite, info.Conns
		}
	}
	return got, nil
}

// decodeWalked fills sk from a walk record as decodeInetDiagMsg does from
// sock_diag's reply for the same socket.
func decodeWalked(r *bpfowner.SockRecord, sk *Socket) {
	v6 := r.Family == unix.AF_INET6
	switch {
	case r.Proto == unix.IPPROTO_TCP && v6:
		sk.Proto = ProtoTCP6
	case r.Proto == unix.IPPROTO_TCP:
		sk.Proto = ProtoTCP
	case r.Proto == unix.IPPROTO_UDPLITE && v6:
		sk.Proto = ProtoUDPLite6
	case r.Proto == unix.IPPROTO_UDPLITE:
		sk.Proto = ProtoUDPLite
	case v6:
		sk.Proto = ProtoUDP6
	default:
		sk.Proto = ProtoUDP
	}
	if v6 {
		sk.Local = netip.AddrPortFrom(netip.AddrFrom16(r.Src), r.Sport)
		sk.Remote = netip.AddrPortFrom(netip.AddrFrom16(r.Dst), r.Dport)
	} else {
		sk.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(r.Src[:4])), r.Sport)
		sk.Remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(r.Dst[:4])), r.Dport)
	}
	sk.State = TCPState(r.State)
	if sk.State == TCPNewSynRecv && sk.Proto.IsTCP() {
		sk.State = TCPSynRecv
	}
	sk.RecvQ = uint64(r.RecvQ)
	sk.SendQ = uint64(r.SendQ) // 0 for a listener, as /proc shows
	sk.UID = r.UID
	sk.Inode = r.Inode
}
