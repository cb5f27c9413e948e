package inspect

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// maxRouteBytes caps how much of /proc/net/route or ipv6_route is read; a
// full-table router has a few hundred thousand routes of ~128 bytes each.
const maxRouteBytes = 256 << 20

// RouteFlags are the kernel's RTF_* bits as /proc/net/route and
// /proc/net/ipv6_route show them (include/uapi/linux/route.h, ipv6_route.h).
type RouteFlags uint32

// Route flag bits netstat decodes.
const (
	RTFUp        RouteFlags = 0x0001
	RTFGateway   RouteFlags = 0x0002
	RTFHost      RouteFlags = 0x0004
	RTFReinstate RouteFlags = 0x0008
	RTFDynamic   RouteFlags = 0x0010
	RTFModified  RouteFlags = 0x0020
	RTFMTU       RouteFlags = 0x0040
	RTFWindow    RouteFlags = 0x0080
	RTFIRTT      RouteFlags = 0x0100
	RTFReject    RouteFlags = 0x0200
	RTFNotCached RouteFlags = 0x0400
	RTFDefault   RouteFlags = 0x10000
	RTFAllOnLink RouteFlags = 0x20000
	RTFAddrConf  RouteFlags = 0x40000
	RTFNoNextHop RouteFlags = 0x200000
	RTFExpires   RouteFlags = 0x400000
	RTFCache     RouteFlags = 0x1000000
	RTFFlow      RouteFlags = 0x2000000
	RTFPolicy    RouteFlags = 0x4000000
	RTFLocal     RouteFlags = 0x80000000
)

var routeFlagNames = []struct {
	bit  RouteFlags
	name string
}{
	{RTFUp, "UP"}, {RTFGateway, "GATEWAY"}, {RTFHost, "HOST"}, {RTFReinstate, "REINSTATE"},
	{RTFDynamic, "DYNAMIC"}, {RTFModified, "MODIFIED"}, {RTFMTU, "MTU"}, {RTFWindow, "WINDOW"},
	{RTFIRTT, "IRTT"}, {RTFReject, "REJECT"}, {RTFNotCached, "NOTCACHED"}, {RTFDefault, "DEFAULT"},
	{RTFAllOnLink, "ALLONLINK"}, {RTFAddrConf, "ADDRCONF"}, {RTFNoNextHop, "NONEXTHOP"},
	{RTFExpires, "EXPIRES"}, {RTFCache, "CACHE"}, {RTFFlow, "FLOW"}, {RTFPolicy, "POLICY"},
	{RTFLocal, "LOCAL"},
}

// String names the set bits ("UP|GATEWAY"); unknown bits are shown in hex.
func (f RouteFlags) String() string {
	var parts []string
	rest := f
	for _, n := range routeFlagNames {
		if f&n.bit != 0 {
			parts = append(parts, n.name)
			rest &^= n.bit
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint32(rest)))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// Route4 is one line of /proc/net/route (the main FIB table). Integer columns
// keep the value the kernel printed; netstat shows them as C ints (see
// output.WriteRoutes4), so 4294967295 is stored as is and rendered as -1.
type Route4 struct {
	Iface       string     `json:"iface"`
	Destination netip.Addr `json:"destination"`
	Gateway     netip.Addr `json:"gateway"`
	Genmask     netip.Addr `json:"genmask"`
	Flags       RouteFlags `json:"flags"`
	RefCnt      int64      `json:"ref"`
	Use         int64      `json:"use"`
	Metric      int64      `json:"metric"`
	// MSS is the MTU column, which the kernel fills with advmss+40 and netstat labels "MSS".
	MSS    int64 `json:"mss"`
	Window int64 `json:"window"`
	IRTT   int64 `json:"irtt"`
}

// route4Cols holds the field index of each column the title line names (-1 when absent).
type route4Cols struct {
	iface, dst, gw, flags, ref, use, metric, mask, mtu, window, irtt int
	n                                                                int
}

// ErrNoRouteTable is returned for an empty /proc/net/route (no title line):
// the namespace has no IPv4 routing table yet, e.g. a fresh one with lo down.
var ErrNoRouteTable = errors.New("no IPv4 routing table (empty /proc/net/route)")

// ReadRoute4 reads an already-open /proc/net/route of the wanted namespace.
func ReadRoute4(f *os.File) ([]Route4, error) {
	rs, err := parseRoute4(io.LimitReader(f, maxRouteBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return rs, nil
}

// parseRoute4 parses /proc/net/route text. Like netstat's proc_gen_fmt it
// locates the columns by the names in the title line, so a kernel that
// reorders or adds columns still parses.
//
// Hand-written: procfs's NetRoute reads Flags as decimal (the kernel prints
// hex, so REJECT|UP "0201" becomes 201), renames iface "*" to "blackhole"
// and wants exactly 11 columns; netstat -r prints the kernel's text.
// Not netlink either: RouteList's Flags are RTNH_F_* (0 for the default
// route this file shows as 0003, UP|GATEWAY), so the RTF_* bits, the
// advmss+40 "MSS" and rtt>>3 IRTT would be recomputed as the kernel's
// fib_route_seq_show does; the text is the kernel's own answer.
func parseRoute4(r io.Reader) ([]Route4, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), 64*1024)
	if !s.Scan() {
		if err := s.Err(); err != nil {
			return nil, fmt.Errorf("route: %w: %v", ErrParse, err)
		}
		// A namespace whose lo is down has no IPv4 table at all, not even
		// the title; netstat prints its header and nothing else.
		return nil, ErrNoRouteTable
	}
	cols, err := parseRoute4Title(s.Text())
	if err != nil {
		return nil, err
	}
	rs := []Route4{}
	for ln := 2; s.Scan(); ln++ {
		fields := strings.Fields(s.Text())
		if len(fields) == 0 {
			continue
		}
		rt, err := parseRoute4Line(fields, cols)
		if err != nil {
			return nil, fmt.Errorf("route line %d: %w", ln, err)
		}
		rs = append(rs, rt)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("route: %w: %v", ErrParse, err)
	}
	return rs, nil
}

// parseRoute4Title maps the title line's column names to field positions.
func parseRoute4Title(line string) (route4Cols, error) {
	c := route4Cols{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0}
	fields := strings.Fields(line)
	c.n = len(fields)
	for i, name := range fields {
		switch name {
		case "Iface":
			c.iface = i
		case "Destination":
			c.dst = i
		case "Gateway":
			c.gw = i
		case "Flags":
			c.flags = i
		case "RefCnt":
			c.ref = i
		case "Use":
			c.use = i
		case "Metric":
			c.metric = i
		case "Mask":
			c.mask = i
		case "MTU":
			c.mtu = i
		case "Window":
			c.window = i
		case "IRTT":
			c.irtt = i
		}
	}
	for _, need := range []struct {
		idx  int
		name string
	}{{c.iface, "Iface"}, {c.dst, "Destination"}, {c.gw, "Gateway"}, {c.flags, "Flags"}, {c.mask, "Mask"}} {
		if need.idx < 0 {
			return c, fmt.Errorf("route title: %w: no %q column in %q", ErrParse, need.name, line)
		}
	}
	return c, nil
}

// parseRoute4Line parses the fields of one data line.
func parseRoute4Line(f []string, c route4Cols) (Route4, error) {
	var rt Route4
	if len(f) < c.n {
		return rt, fmt.Errorf("%w: %d fields, want %d", ErrParse, len(f), c.n)
	}
	var err error
	rt.Iface = f[c.iface]
	if rt.Destination, err = parseRouteHex4(f[c.dst]); err != nil {
		return rt, fmt.Errorf("Destination: %w", err)
	}
	if rt.Gateway, err = parseRouteHex4(f[c.gw]); err != nil {
		return rt, fmt.Errorf("Gateway: %w", err)
	}
	if rt.Genmask, err = parseRouteHex4(f[c.mask]); err != nil {
		return rt, fmt.Errorf("Mask: %w", err)
	}
	fl, err := strconv.ParseUint(f[c.flags], 16, 32)
	if err != nil {
		return rt, fmt.Errorf("Flags: %w: %q", ErrParse, f[c.flags])
	}
	rt.Flags = RouteFlags(fl)
	for _, d := range []struct {
		idx  int
		name string
		dst  *int64
	}{{c.ref, "RefCnt", &rt.RefCnt}, {c.use, "Use", &rt.Use}, {c.metric, "Metric", &rt.Metric},
		{c.mtu, "MTU", &rt.MSS}, {c.window, "Window", &rt.Window}, {c.irtt, "IRTT", &rt.IRTT}} {
		if d.idx < 0 {
			continue
		}
		v, err := parseCLong(f[d.idx])
		if err != nil {
			return rt, fmt.Errorf("%s: %w", d.name, err)
		}
		*d.dst = v
	}
	return rt, nil
}

// parseRouteHex4 decodes an IPv4 address the kernel printed as a native-endian
// 32-bit word in hex ("0200C80A" is 10.200.0.2 on little-endian hosts).
func parseRouteHex4(s string) (netip.Addr, error) {
	if len(s) != 8 {
		return netip.Addr{}, fmt.Errorf("%w: address %q is not 8 hex digits", ErrParse, s)
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: address %q", ErrParse, s)
	}
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], uint32(v))
	return netip.AddrFrom4(b), nil
}

// parseCLong parses a decimal as C's strtol does for valid input: optional
// sign, saturation on overflow. Anything that is not a number is an error.
func parseCLong(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return v, nil // ParseInt already saturated like strtol
		}
		return 0, fmt.Errorf("%w: %q is not a number", ErrParse, s)
	}
	return v, nil
}
