package output

import (
	"bytes"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// Route table headers of net-tools 2.10 (lib/inet_gr.c, lib/inet6_gr.c).
const (
	route4Title      = "Kernel IP routing table\n"
	route4CacheTitle = "Kernel IP routing cache\n"
	route6Title      = "Kernel IPv6 routing table\n"
	route6CacheTitle = "Kernel IPv6 routing cache\n"

	route4Header1 = "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n"
	route4Header2 = "Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n"
	route4Header3 = "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface    MSS   Window irtt\n"

	route4CacheHeader1 = "Source          Destination     Gateway         Flags Metric Ref    Use Iface\n"
	route4CacheHeader2 = "Source          Destination     Gateway         Flags   MSS Window  irtt Iface\n"
	route4CacheHeader3 = "Source          Destination     Gateway         Flags Metric Ref    Use Iface    MSS   Window irtt  TOS HHRef HHUptod     SpecDst\n"

	route6Header = "Destination                    Next Hop                   Flag Met Ref  Use If\n"
)

// RouteStyle maps the -e count to net-tools' route layout: 1 = Metric/Ref/Use,
// 2 = MSS/Window/irtt (no -e), 3 = both (-ee), 0 = title only (-eee). netstat
// computes k = 1 + count, swaps 1 and 2, and keeps k & 3.
func RouteStyle(extend int) int {
	k := 1 + extend
	switch k {
	case 1:
		k = 2
	case 2:
		k = 1
	}
	return k & 3
}

// routeNumeric is what turns route names off: -n or --numeric-hosts (and
// -N, which the caller folds into NumericHosts). --numeric-ports and
// --numeric-users alone keep names (checked against netstat 2.10).
func routeNumeric(f Flags) bool { return f.NumericHosts }

// WriteRoutes4 writes netstat -r's IPv4 FIB table (title, header for the -e
// style, rows in file order; routes without RTF_UP are skipped as netstat
// does).
func WriteRoutes4(w io.Writer, rs []inspect.Route4, f Flags, extend int, n Names) error {
	if n == nil {
		n = NoNames{}
	}
	var b bytes.Buffer
	b.WriteString(route4Title)
	style := RouteStyle(extend)
	switch style {
	case 1:
		b.WriteString(route4Header1)
	case 2:
		b.WriteString(route4Header2)
	case 3:
		b.WriteString(route4Header3)
	}
	numeric := routeNumeric(f)
	for i := range rs {
		if style == 0 {
			break
		}
		r := &rs[i]
		if r.Flags&inspect.RTFUp == 0 {
			continue
		}
		dst := rtCut15(route4DstText(r, numeric, n))
		gw := rtCut15(route4GwText(r.Gateway, numeric, n))
		mask := rtCut15(rtDotted(r.Genmask))
		flags := route4Flags(r.Flags)
		reject := r.Flags&inspect.RTFReject != 0
		metric := strconv.Itoa(int(int32(r.Metric)))
		use := strconv.Itoa(int(int32(r.Use)))
		switch {
		case style == 1 && reject:
			b.WriteString(rtPadR(dst, 15) + " -               " + rtPadR(mask, 15) + " " + rtPadR(flags, 5) + " " +
				rtPadR(metric, 6) + " -  " + rtPadL(use, 7) + " -\n")
		case style == 1:
			b.WriteString(rtPadR(dst, 15) + " " + rtPadR(gw, 15) + " " + rtPadR(mask, 15) + " " + rtPadR(flags, 5) + " " +
				rtPadR(metric, 6) + " " + rtPadR(rtInt(r.RefCnt), 2) + " " + rtPadL(use, 7) + " " + r.Iface + "\n")
		case style == 2 && reject:
			b.WriteString(rtPadR(dst, 15) + " -               " + rtPadR(mask, 15) + " " + rtPadR(flags, 5) + "     - -          - -\n")
		case style == 2:
			b.WriteString(rtPadR(dst, 15) + " " + rtPadR(gw, 15) + " " + rtPadR(mask, 15) + " " + rtPadR(flags, 5) + " " +
				rtPadL(rtInt(r.MSS), 5) + " " + rtPadR(rtInt(r.Window), 5) + " " + rtPadL(rtInt(r.IRTT), 6) + " " + r.Iface + "\n")
		case style == 3 && reject:
			b.WriteString(rtPadR(dst, 15) + " -               " + rtPadR(mask, 15) + " " + rtPadR(flags, 5) + " " +
				rtPadR(metric, 6) + " -  " + rtPadL(use, 7) + " -        -     -      -\n")
		default:
			iface := r.Iface
			if len(iface) > 6 {
				iface = iface[:6]
			}
			b.WriteString(rtPadR(dst, 15) + " " + rtPadR(gw, 15) + " " + rtPadR(mask, 15) + " " + rtPadR(flags, 5) + " " +
				rtPadR(metric, 6) + " " + rtPadR(rtInt(r.RefCnt), 3) + " " + rtPadL(use, 6) + " " + rtPadR(iface, 6) + "   " +
				rtPadR(rtInt(r.MSS), 5) + " " + rtPadR(rtInt(r.Window), 6) + " " + rtInt(r.IRTT) + "\n")
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteRouteCache4 writes netstat -rC's IPv4 part. Kernels since 3.6 have no
// IPv4 route cache and /proc/net/rt_cache holds only its title line, so
// this is the title and the header of the -e style, never a row.
func WriteRouteCache4(w io.Writer, extend int) error {
	s := route4CacheTitle
	switch RouteStyle(extend) {
	case 1:
		s += route4CacheHeader1
	case 2:
		s += route4CacheHeader2
	case 3:
		s += route4CacheHeader3
	}
	_, err := io.WriteString(w, s)
	return err
}

// WriteRoutes6 writes netstat -r -6 (cache false: every entry without
// RTF_CACHE) or its -C variant (cache true: only RTF_CACHE entries). The
// header is the same at every -e level.
func WriteRoutes6(w io.Writer, rs []inspect.Route6, f Flags, cache bool, n Names) error {
	if n == nil {
		n = NoNames{}
	}
	var b bytes.Buffer
	if cache {
		b.WriteString(route6CacheTitle)
	} else {
		b.WriteString(route6Title)
	}
	b.WriteString(route6Header)
	numeric := routeNumeric(f)
	for i := range rs {
		r := &rs[i]
		if (r.Flags&inspect.RTFCache != 0) != cache {
			continue
		}
		dst := route6AddrText(r.Destination, numeric, n) + "/" + strconv.Itoa(int(r.DstLen))
		hop := route6AddrText(r.NextHop, numeric, n)
		b.WriteString(rtPadR(dst, 30) + " " + rtPadR(hop, 26) + " " + rtPadR(route6Flags(r.Flags), 4) + " " +
			rtPadR(strconv.Itoa(int(int32(r.Metric))), 3) + " " + rtPadR(strconv.Itoa(int(int32(r.RefCnt))), 1) + " " +
			rtPadL(strconv.Itoa(int(int32(r.Use))), 6) + " " + r.Iface + "\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// route4DstText is INET_sprintmask's text for a destination.
func route4DstText(r *inspect.Route4, numeric bool, n Names) string {
	a := r.Destination
	if numeric {
		return rtDotted(a)
	}
	if a == netip.IPv4Unspecified() {
		if r.Genmask == netip.IPv4Unspecified() {
			return "default"
		}
		return "0.0.0.0"
	}
	if r.Flags&inspect.RTFHost != 0 || rtBitsOutsideMask(a, r.Genmask) {
		if s := n.Host(a); s != "" {
			return s
		}
	} else if s := n.Network(a); s != "" {
		return s
	}
	return rtDotted(a)
}

// route4GwText: 0.0.0.0 stays numeric; others are host names unless numeric.
func route4GwText(a netip.Addr, numeric bool, n Names) string {
	if numeric || a == netip.IPv4Unspecified() || !a.IsValid() {
		return rtDotted(a)
	}
	if s := n.Host(a); s != "" {
		return s
	}
	return rtDotted(a)
}

func rtBitsOutsideMask(a, mask netip.Addr) bool {
	ab, mb := a.As4(), mask.As4()
	for i := range ab {
		if ab[i]&^mb[i] != 0 {
			return true
		}
	}
	return false
}

// route4Flags decodes flags in net-tools' order; REJECT replaces what came before it.
func route4Flags(fl inspect.RouteFlags) string {
	var s string
	if fl&inspect.RTFUp != 0 {
		s += "U"
	}
	if fl&inspect.RTFGateway != 0 {
		s += "G"
	}
	if fl&inspect.RTFReject != 0 {
		s = "!"
	}
	for _, l := range []struct {
		bit    inspect.RouteFlags
		letter string
	}{{inspect.RTFHost, "H"}, {inspect.RTFReinstate, "R"}, {inspect.RTFDynamic, "D"}, {inspect.RTFModified, "M"},
		{inspect.RTFDefault, "d"}, {inspect.RTFAllOnLink, "a"}, {inspect.RTFAddrConf, "c"}, {inspect.RTFNoNextHop, "o"},
		{inspect.RTFExpires, "e"}, {inspect.RTFCache, "c"}, {inspect.RTFFlow, "f"}, {inspect.RTFPolicy, "p"},
		{inspect.RTFLocal, "l"}, {inspect.RTFMTU, "u"}, {inspect.RTFWindow, "w"}, {inspect.RTFIRTT, "i"},
		{inspect.RTFNotCached, "n"}} {
		if fl&l.bit != 0 {
			s += l.letter
		}
	}
	return s
}

// route6Flags decodes flags in inet6_gr.c's order; REJECT is appended.
func route6Flags(fl inspect.RouteFlags) string {
	var s string
	for _, l := range []struct {
		bit    inspect.RouteFlags
		letter string
	}{{inspect.RTFUp, "U"}, {inspect.RTFReject, "!"}, {inspect.RTFGateway, "G"}, {inspect.RTFHost, "H"},
		{inspect.RTFDefault, "D"}, {inspect.RTFAddrConf, "A"}, {inspect.RTFCache, "C"}, {inspect.RTFAllOnLink, "a"},
		{inspect.RTFExpires, "e"}, {inspect.RTFModified, "m"}, {inspect.RTFNoNextHop, "n"}, {inspect.RTFFlow, "f"}} {
		if fl&l.bit != 0 {
			s += l.letter
		}
	}
	return s
}

// route6AddrText is INET6_rresolve: numeric → inet_ntop; otherwise the
// unspecified address is "[::]" and others go through getnameinfo, which
// falls back to the numeric form.
func route6AddrText(a netip.Addr, numeric bool, n Names) string {
	if numeric {
		return rtNtop6(a)
	}
	if a.IsUnspecified() {
		return "[::]"
	}
	if s := n.Host(a); s != "" {
		return s
	}
	return rtNtop6(a)
}

// rtNtop6 is glibc inet_ntop(AF_INET6): the first longest run (≥2) of zero
// words becomes "::", and ::a.b.c.d / ::ffff:a.b.c.d keep the IPv4 dotted tail.
func rtNtop6(a netip.Addr) string {
	if !a.Is6() {
		return rtDotted(a)
	}
	b := a.As16()
	var w [8]uint16
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	best, bestLen := -1, 0
	for i := 0; i < 8; {
		if w[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && w[j] == 0 {
			j++
		}
		if j-i > bestLen {
			best, bestLen = i, j-i
		}
		i = j
	}
	if bestLen < 2 {
		best = -1
	}
	var s strings.Builder
	for i := 0; i < 8; i++ {
		if best >= 0 && i >= best && i < best+bestLen {
			if i == best {
				s.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			s.WriteByte(':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			s.WriteString(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}).String())
			break
		}
		s.WriteString(strconv.FormatUint(uint64(w[i]), 16))
	}
	if best >= 0 && best+bestLen == 8 {
		s.WriteByte(':')
	}
	return s.String()
}

// rtDotted prints an IPv4 address as inet_ntoa does.
func rtDotted(a netip.Addr) string {
	if !a.IsValid() {
		return "0.0.0.0"
	}
	return a.Unmap().String()
}

func rtInt(v int64) string { return strconv.Itoa(int(int32(v))) }

// rtCut15 mirrors the C code's buf[15] = '\0'.
func rtCut15(s string) string {
	if len(s) > 15 {
		return s[:15]
	}
	return s
}

// rtPadR left-justifies s in n bytes (C's %-Ns pads by bytes, not runes).
func rtPadR(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

// rtPadL right-justifies s in n bytes.
func rtPadL(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat(" ", n-len(s)) + s
}
