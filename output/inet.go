package output

import (
	"io"
	"net/netip"
	"strconv"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// selectionTitle is the parenthesised part of both socket table titles; -a
// wins over -l.
func selectionTitle(f Flags) string {
	switch {
	case f.All:
		return "(servers and established)"
	case f.Listening:
		return "(only servers)"
	default:
		return "(w/o servers)"
	}
}

// Column titles of the optional columns; each carries the space before it
// and is padded as the rows are (User L10, Inode L10, program L20).
const (
	extendTitle  = " User       Inode     "
	programTitle = " PID/Program name    "
	timerTitle   = " Timer"
)

// InetHeader writes the two title lines of the Internet socket table. The
// column line ends in spaces wherever its last column is padded.
func InetHeader(w io.Writer, f Flags) error {
	b := make([]byte, 0, 192)
	b = append(b, "Active Internet connections "...)
	b = append(b, selectionTitle(f)...)
	b = append(b, "\nProto Recv-Q Send-Q Local Address           Foreign Address         State      "...)
	if f.Extend > 0 {
		b = append(b, extendTitle...)
	}
	if f.Programs {
		b = append(b, programTitle...)
	}
	if f.Timers {
		b = append(b, timerTitle...)
	}
	b = append(b, '\n')
	_, err := w.Write(b)
	return err
}

// InetSelected reports whether netstat shows an Internet socket under -a/-l
// or by default. TCP sockets are servers when the remote port is 0; UDP,
// UDP-Lite and raw sockets when the remote address is all zero (a v4-mapped
// ::ffff:0.0.0.0 is not). -a shows everything, -l only servers, the default
// only the rest.
func InetSelected(s *inspect.Socket, f Flags) bool {
	if f.All {
		return true
	}
	var server bool
	if s.Proto.IsTCP() {
		server = s.Remote.Port() == 0
	} else {
		server = isNullAddr(s.Remote)
	}
	return server == f.Listening
}

// isNullAddr is netstat's notnull() negated: every byte of the address is 0.
func isNullAddr(ap netip.AddrPort) bool {
	a := ap.Addr()
	if !a.IsValid() {
		return true
	}
	if a.Is4() {
		return a.As4() == [4]byte{}
	}
	return a.As16() == [16]byte{}
}

// serviceProto is the services-database protocol of a socket table.
func serviceProto(p inspect.Proto) string {
	switch {
	case p.IsTCP():
		return "tcp"
	case p.IsRaw():
		return "raw"
	default:
		return "udp"
	}
}

// AppendInetRow appends one Internet socket row, newline included, exactly as
// netstat 2.10 prints it, and returns the extended buffer. It does not filter:
// see InetSelected. n answers the name lookups unless the flags make them
// numeric; nil means no names.
func AppendInetRow(dst []byte, s *inspect.Socket, f Flags, n Names) []byte {
	if n == nil {
		n = NoNames{}
	}
	proto := s.Proto.String()
	if s.Proto.IsUDP() {
		dst = appendPadL(dst, proto, 5)
		dst = append(dst, ' ')
	} else {
		dst = appendPadL(dst, proto, 4)
		dst = append(dst, ' ', ' ')
	}
	// netstat reads the queues into unsigned longs and prints them with %ld.
	dst = appendIntR(dst, int64(s.RecvQ), 6)
	dst = append(dst, ' ')
	dst = appendIntR(dst, int64(s.SendQ), 6)
	dst = append(dst, ' ')

	svc := serviceProto(s.Proto)
	max := udpAddrMax
	if s.Proto.IsTCP() {
		max = tcpAddrMax
	}
	// Host and port texts are bounded (127 and 63 bytes), so these arrays
	// keep the hot path free of allocations.
	var hostBuf [hostTextMax + 1]byte
	var portBuf [serviceTextMax + 1]byte
	for i, ap := range [2]netip.AddrPort{s.Local, s.Remote} {
		host := appendHost(hostBuf[:0], ap.Addr(), f.NumericHosts, n)
		port := appendPort(portBuf[:0], ap.Port(), svc, f.NumericPorts, n)
		start := len(dst)
		dst = appendAddrColumn(dst, host, port, f.Wide, max)
		dst = appendSpaces(dst, 23-(len(dst)-start))
		if i == 0 {
			dst = append(dst, ' ')
		}
	}
	dst = append(dst, ' ')

	switch {
	case s.Proto.IsTCP():
		dst = appendPadL(dst, tcpStateText(s.State), 11)
	case s.Proto.IsRaw():
		dst = appendUintL(dst, uint64(s.State), 11)
	default:
		dst = appendPadL(dst, udpStateText(s.State), 11)
	}
	dst = appendFinish(dst, s, f, n)
	return append(dst, '\n')
}

// tcpStateText is netstat's tcp_state[] word; 0 is empty. Values past the C
// table are undefined in netstat and never appear in /proc; sock_diag's
// TCP_NEW_SYN_RECV (12) prints as SYN_RECV like the /proc file does.
func tcpStateText(st inspect.TCPState) string {
	return st.String()
}

// udpStateText is udp_do_one's state word: connected sockets say
// ESTABLISHED, unconnected ones (TCP_CLOSE) nothing, anything else UNKNOWN.
func udpStateText(st inspect.TCPState) string {
	switch st {
	case inspect.TCPEstablished:
		return "ESTABLISHED"
	case inspect.TCPClose:
		return ""
	default:
		return "UNKNOWN"
	}
}

// appendFinish appends netstat's finish_this_one columns: -e user and inode,
// -p program, -o timer.
func appendFinish(dst []byte, s *inspect.Socket, f Flags, n Names) []byte {
	if f.Extend > 0 {
		dst = append(dst, ' ')
		user := ""
		if !f.NumericUsers {
			user = n.User(s.UID)
		}
		if user != "" {
			dst = appendPadL(dst, user, 10)
		} else {
			dst = appendUintL(dst, uint64(s.UID), 10)
		}
		dst = append(dst, ' ')
		dst = appendUintL(dst, s.Inode, 10)
	}
	if f.Programs {
		dst = append(dst, ' ')
		dst = appendProgram(dst, s.Owner, s.Inode != 0)
	}
	if f.Timers {
		dst = append(dst, ' ')
		dst = appendTimer(dst, s)
	}
	return dst
}

// appendProgram appends the -p column: "PID/name" cut to 19 bytes (the
// 20-byte buffer of net-tools' program cache) and padded to 20, or "-" when
// the owner is unknown or the socket has no inode.
func appendProgram(dst []byte, p *inspect.Process, hasInode bool) []byte {
	if p == nil || !hasInode {
		return appendPadL(dst, "-", 20)
	}
	start := len(dst)
	dst = strconv.AppendInt(dst, int64(p.PID), 10)
	dst = append(dst, '/')
	dst = append(dst, p.Name...)
	if len(dst)-start > progTextMax {
		dst = dst[:start+progTextMax]
	}
	return appendSpaces(dst, 20-(len(dst)-start))
}

// appendTimer appends the -o text. TCP names the timer (off, on, keepalive,
// timewait, probe, unkn-N); UDP, UDP-Lite and raw say off, onN or unkn-N and
// always show 0 retransmits. The time is ticks/100 with two decimals; netstat
// holds ticks in an unsigned long and the timeout in an int.
func appendTimer(dst []byte, s *inspect.Socket) []byte {
	secs := float64(uint64(s.TimerTicks)) / 100
	retr := uint64(s.Retrans)
	if s.Proto.IsTCP() {
		switch s.Timer {
		case 0:
			dst = append(dst, "off ("...)
			secs = 0
		case 1:
			dst = append(dst, "on ("...)
		case 2:
			dst = append(dst, "keepalive ("...)
		case 3:
			dst = append(dst, "timewait ("...)
		case 4:
			dst = append(dst, "probe ("...)
		default:
			dst = append(dst, "unkn-"...)
			dst = strconv.AppendUint(dst, uint64(s.Timer), 10)
			dst = append(dst, " ("...)
		}
	} else {
		retr = 0
		switch s.Timer {
		case 0:
			dst = append(dst, "off ("...)
			secs = 0
		case 1, 2:
			dst = append(dst, "on"...)
			dst = strconv.AppendUint(dst, uint64(s.Timer), 10)
			dst = append(dst, " ("...)
		default:
			dst = append(dst, "unkn-"...)
			dst = strconv.AppendUint(dst, uint64(s.Timer), 10)
			dst = append(dst, " ("...)
		}
	}
	dst = strconv.AppendFloat(dst, secs, 'f', 2, 64)
	dst = append(dst, '/')
	dst = strconv.AppendUint(dst, retr, 10)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, int64(int32(s.Probes)), 10)
	return append(dst, ')')
}

// RowWriter renders socket rows to one writer through a reused buffer. It is
// not safe for concurrent use.
type RowWriter struct {
	w   io.Writer
	f   Flags
	n   Names
	buf []byte
}

// NewRowWriter returns a RowWriter for w with the given flags and names
// (nil names means none).
func NewRowWriter(w io.Writer, f Flags, n Names) *RowWriter {
	if n == nil {
		n = NoNames{}
	}
	return &RowWriter{w: w, f: f, n: n, buf: make([]byte, 0, 256)}
}

// Inet writes one Internet socket row.
func (r *RowWriter) Inet(s *inspect.Socket) error {
	r.buf = AppendInetRow(r.buf[:0], s, r.f, r.n)
	_, err := r.w.Write(r.buf)
	return err
}

// Unix writes one UNIX socket row.
func (r *RowWriter) Unix(s *inspect.Socket) error {
	r.buf = AppendUnixRow(r.buf[:0], s, r.f)
	_, err := r.w.Write(r.buf)
	return err
}
