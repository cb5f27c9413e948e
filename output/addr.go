package output

import (
	"net/netip"
	"strconv"
)

// Buffer sizes of net-tools 2.10 that cut text silently: the host text of
// INET_sprint/INET6_sprint (char buff[128]), the service name of get_sname
// (char buffer[64]) and the -W address column of tcp_do_one (char [128]) and
// udp_do_one/raw_do_one (char [64]). snprintf and safe_strncpy keep size-1 bytes.
const (
	hostTextMax    = 127
	serviceTextMax = 63
	tcpAddrMax     = 127
	udpAddrMax     = 63
	// addrShortLen is addr_do_one's short_len: host and port text longer than
	// this together are cut unless -W.
	addrShortLen = 22
	// progTextMax is the -p text width: prg_cache keeps "PID/name" in char[20].
	progTextMax = 19
)

// appendPadL appends s and then spaces up to width bytes, like C's "%-*s":
// the width counts bytes, not runes, and a longer s is never cut.
func appendPadL(dst []byte, s string, width int) []byte {
	dst = append(dst, s...)
	return appendSpaces(dst, width-len(s))
}

// appendPadLBytes is appendPadL for a byte slice.
func appendPadLBytes(dst, s []byte, width int) []byte {
	dst = append(dst, s...)
	return appendSpaces(dst, width-len(s))
}

// appendSpaces appends n spaces (none when n <= 0).
func appendSpaces(dst []byte, n int) []byte {
	for ; n > 0; n-- {
		dst = append(dst, ' ')
	}
	return dst
}

// appendIntR appends v right-justified in width bytes, like C's "%*ld".
func appendIntR(dst []byte, v int64, width int) []byte {
	var b [24]byte
	s := strconv.AppendInt(b[:0], v, 10)
	dst = appendSpaces(dst, width-len(s))
	return append(dst, s...)
}

// appendUintL appends v left-justified in width bytes, like C's "%-*lu".
func appendUintL(dst []byte, v uint64, width int) []byte {
	var b [24]byte
	return appendPadLBytes(dst, strconv.AppendUint(b[:0], v, 10), width)
}

// appendInetNtop appends the text glibc's inet_ntop gives for a: a dotted quad
// for a 4-byte address; for a 16-byte one the longest run (first on a tie) of
// two or more zero words becomes "::", and an address whose first 96 bits are
// zero with a non-zero 7th word (::a.b.c.d) or that is v4-mapped
// (::ffff:a.b.c.d) ends in dotted form. Go's netip prints ::10.0.0.1 as
// ::a00:1, which is why this exists.
func appendInetNtop(dst []byte, a netip.Addr) []byte {
	if a.Is4() {
		return appendDotted(dst, a.As4())
	}
	if !a.IsValid() {
		return dst
	}
	b := a.As16()
	var w [8]uint16
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	bestBase, bestLen, curBase, curLen := -1, 0, -1, 0
	for i := range w {
		if w[i] == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
			continue
		}
		if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
	for i := 0; i < len(w); i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				dst = append(dst, ':')
			}
			continue
		}
		if i != 0 {
			dst = append(dst, ':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			return appendDotted(dst, [4]byte{b[12], b[13], b[14], b[15]})
		}
		dst = strconv.AppendUint(dst, uint64(w[i]), 16)
	}
	if bestBase != -1 && bestBase+bestLen == len(w) {
		dst = append(dst, ':')
	}
	return dst
}

func appendDotted(dst []byte, q [4]byte) []byte {
	for i, o := range q {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, uint64(o), 10)
	}
	return dst
}

// fixV4Mapped is net-tools' fix_v4_address: for a v4-mapped address whose
// text contains a dot, drop everything up to the ':' before the first dot, so
// "::ffff:127.0.0.1" prints as "127.0.0.1". A resolved name has no ':' before
// its dots and is kept whole.
func fixV4Mapped(text []byte, a netip.Addr) []byte {
	if !a.Is4In6() {
		return text
	}
	dot := -1
	for i, c := range text {
		if c == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return text
	}
	for s := dot; s > 0; s-- {
		if text[s] == ':' {
			return text[s+1:]
		}
	}
	return text
}

// appendHost appends the host part of an address column as netstat 2.10
// builds it. a is as the socket table holds it: 4 bytes for the IPv4 tables,
// 16 bytes (v4-mapped kept) for the IPv6 ones.
//
// IPv4 (INET_sprint): 0.0.0.0 stays "0.0.0.0"; -n gives the dotted quad; an
// address whose first octet is non-zero is a host (gethostbyaddr), one whose
// first octet is 0 is looked up as a network (getnetbyaddr) — net-tools tests
// the low byte of s_addr against ~0xffffff00, which on a little-endian host is
// the first octet. Names are cut to 127 bytes.
//
// IPv6 (INET6_sprint): -n gives inet_ntop; otherwise :: is "[::]" and any other
// address is getnameinfo'd, falling back to inet_ntop (also when the name does
// not fit the 128-byte buffer). Both then lose a "::ffff:" prefix.
func appendHost(dst []byte, a netip.Addr, numeric bool, n Names) []byte {
	if a.Is4() {
		if numeric || a.IsUnspecified() {
			return appendInetNtop(dst, a)
		}
		var name string
		if a.As4()[0] != 0 {
			name = n.Host(a)
		} else {
			name = n.Network(a)
		}
		if name == "" {
			return appendInetNtop(dst, a)
		}
		if len(name) > hostTextMax {
			name = name[:hostTextMax]
		}
		return append(dst, name...)
	}
	start := len(dst)
	switch {
	case numeric:
		dst = appendInetNtop(dst, a)
	case a.IsUnspecified():
		return append(dst, "[::]"...)
	default:
		if name := n.Host(a); name != "" && len(name) <= hostTextMax {
			dst = append(dst, name...)
		} else {
			dst = appendInetNtop(dst, a)
		}
	}
	fixed := fixV4Mapped(dst[start:], a)
	if len(fixed) != len(dst)-start {
		dst = append(dst[:start], fixed...)
	}
	return dst
}

// appendPort appends get_sname's text: "*" for port 0 (even with -n), the
// decimal port with -n, else the services name for proto ("tcp", "udp" or
// "raw"), cut to 63 bytes, else the decimal port.
func appendPort(dst []byte, port uint16, proto string, numeric bool, n Names) []byte {
	if port == 0 {
		return append(dst, '*')
	}
	if !numeric {
		if name := n.Service(port, proto); name != "" {
			if len(name) > serviceTextMax {
				name = name[:serviceTextMax]
			}
			return append(dst, name...)
		}
	}
	return strconv.AppendUint(dst, uint64(port), 10)
}

// appendAddrColumn joins host and port as addr_do_one does. Without -W, when
// the two are longer than 22 bytes together the port is kept (cut to 18 bytes)
// and the host is cut to fill 22 bytes, so the text is at most 23 bytes; no
// marker is added. With -W the text is whole but limited to max bytes, the
// size of netstat's buffer minus one.
func appendAddrColumn(dst, host, port []byte, wide bool, max int) []byte {
	if !wide && len(host)+len(port) > addrShortLen {
		pl := min(len(port), addrShortLen-4)
		hl := min(len(host), addrShortLen-pl)
		dst = append(dst, host[:hl]...)
		dst = append(dst, ':')
		return append(dst, port[:pl]...)
	}
	start := len(dst)
	dst = append(dst, host...)
	dst = append(dst, ':')
	dst = append(dst, port...)
	if len(dst)-start > max {
		dst = dst[:start+max]
	}
	return dst
}

// NumericAddr is a as netstat -n prints it and as JSON records carry it
// (glibc inet_ntop, v4-mapped addresses as dotted IPv4).
func NumericAddr(a netip.Addr) string {
	return string(appendHost(nil, a, true, NoNames{}))
}
