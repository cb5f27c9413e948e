package inspect

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// maxProcNetBytes caps how much of one /proc/net socket table is read.
const maxProcNetBytes = 1 << 30

// ParseNetIPSocket parses /proc/net/{tcp,udp,raw,udplite}{,6} text as netstat
// does: the title line is skipped, lines that do not parse are counted in bad
// and skipped (netstat prints "warning, got bogus tcp line."), rows are
// appended to out in file order.
//
// Hand-written: procfs's NetTCP/NetUDP lack the timer fields (tr, tm->when,
// retrnsmt) that -o prints, and it has no raw or udplite tables.
func ParseNetIPSocket(r io.Reader, p Proto, out []Socket) (sockets []Socket, bad int, err error) {
	s := bufio.NewScanner(io.LimitReader(r, maxProcNetBytes))
	s.Buffer(make([]byte, 0, 4096), 64*1024)
	first := true
	for s.Scan() {
		if first {
			first = false
			continue
		}
		line := s.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var sk Socket
		if err := parseNetIPSocketLine(line, p, &sk); err != nil {
			bad++
			continue
		}
		out = append(out, sk)
	}
	if err := s.Err(); err != nil {
		return out, bad, fmt.Errorf("%s table: %w: %v", p, ErrParse, err)
	}
	return out, bad, nil
}

// parseNetIPSocketLine parses one data line:
// sl local:port rem:port st tx:rx tr:when retrnsmt uid timeout inode ...
func parseNetIPSocketLine(line []byte, p Proto, sk *Socket) error {
	var f [12][]byte
	n := 0
	for _, fld := range bytes.Fields(line) {
		if n == len(f) {
			break
		}
		f[n] = fld
		n++
	}
	min := 10
	if p.IsTCP() {
		min = 11
	}
	if n < min {
		return fmt.Errorf("%w: %d fields, want %d", ErrParse, n, min)
	}
	var err error
	sk.Proto = p
	if sk.Local, err = parseHexAddrPort(f[1]); err != nil {
		return err
	}
	if sk.Remote, err = parseHexAddrPort(f[2]); err != nil {
		return err
	}
	st, err := strconv.ParseUint(string(f[3]), 16, 8)
	if err != nil {
		return fmt.Errorf("%w: state %q", ErrParse, f[3])
	}
	sk.State = TCPState(st)
	tx, rx, ok := bytes.Cut(f[4], []byte{':'})
	if !ok {
		return fmt.Errorf("%w: queues %q", ErrParse, f[4])
	}
	if sk.SendQ, err = strconv.ParseUint(string(tx), 16, 64); err != nil {
		return fmt.Errorf("%w: tx_queue %q", ErrParse, tx)
	}
	if sk.RecvQ, err = strconv.ParseUint(string(rx), 16, 64); err != nil {
		return fmt.Errorf("%w: rx_queue %q", ErrParse, rx)
	}
	tr, when, ok := bytes.Cut(f[5], []byte{':'})
	if !ok {
		return fmt.Errorf("%w: timer %q", ErrParse, f[5])
	}
	t, err := strconv.ParseUint(string(tr), 16, 8)
	if err != nil {
		return fmt.Errorf("%w: timer %q", ErrParse, tr)
	}
	sk.Timer = uint8(t)
	w, err := strconv.ParseUint(string(when), 16, 64)
	if err != nil {
		return fmt.Errorf("%w: timer expiry %q", ErrParse, when)
	}
	// The kernel prints a signed delta with %08lX; keep the low 32 bits' sign like netstat's long.
	sk.TimerTicks = int64(w)
	retr, err := strconv.ParseUint(string(f[6]), 16, 32)
	if err != nil {
		return fmt.Errorf("%w: retrnsmt %q", ErrParse, f[6])
	}
	sk.Retrans = uint32(retr)
	uid, err := strconv.ParseUint(string(f[7]), 10, 32)
	if err != nil {
		return fmt.Errorf("%w: uid %q", ErrParse, f[7])
	}
	sk.UID = uint32(uid)
	to, err := strconv.ParseInt(string(f[8]), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timeout %q", ErrParse, f[8])
	}
	sk.Probes = uint32(to)
	if sk.Inode, err = strconv.ParseUint(string(f[9]), 10, 64); err != nil {
		return fmt.Errorf("%w: inode %q", ErrParse, f[9])
	}
	return nil
}

// parseHexAddrPort decodes "0100007F:0016" (IPv4) or 32 hex digits (IPv6): each
// 32-bit group is printed host-endian by the kernel, so it is stored back in
// native (little-endian) order.
func parseHexAddrPort(b []byte) (netip.AddrPort, error) {
	i := bytes.LastIndexByte(b, ':')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: address %q", ErrParse, b)
	}
	port, err := strconv.ParseUint(string(b[i+1:]), 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: port %q", ErrParse, b[i+1:])
	}
	hex := b[:i]
	var a netip.Addr
	switch len(hex) {
	case 8:
		v, err := strconv.ParseUint(string(hex), 16, 32)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("%w: address %q", ErrParse, hex)
		}
		var ip [4]byte
		binary.LittleEndian.PutUint32(ip[:], uint32(v))
		a = netip.AddrFrom4(ip)
	case 32:
		var ip [16]byte
		for g := 0; g < 4; g++ {
			v, err := strconv.ParseUint(string(hex[g*8:g*8+8]), 16, 32)
			if err != nil {
				return netip.AddrPort{}, fmt.Errorf("%w: address %q", ErrParse, hex)
			}
			binary.LittleEndian.PutUint32(ip[g*4:], uint32(v))
		}
		a = netip.AddrFrom16(ip)
	default:
		return netip.AddrPort{}, fmt.Errorf("%w: address %q", ErrParse, hex)
	}
	return netip.AddrPortFrom(a, uint16(port)), nil
}
