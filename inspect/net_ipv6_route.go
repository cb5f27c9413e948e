package inspect

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// Route6 is one line of /proc/net/ipv6_route. The kernel lists every table
// (main and local, plus cached clones), and netstat prints them all.
type Route6 struct {
	Destination netip.Addr `json:"destination"`
	DstLen      uint8      `json:"destination_prefix_len"`
	Source      netip.Addr `json:"source"`
	SrcLen      uint8      `json:"source_prefix_len"`
	NextHop     netip.Addr `json:"next_hop"`
	// Metric, RefCnt and Use are the kernel's 32-bit hex values; netstat
	// prints them as signed ints (metric 0xffffffff shows as -1).
	Metric uint32     `json:"metric"`
	RefCnt uint32     `json:"ref"`
	Use    uint32     `json:"use"`
	Flags  RouteFlags `json:"flags"`
	Iface  string     `json:"iface"`
}

// ReadRoute6 reads an already-open /proc/net/ipv6_route of the wanted namespace.
func ReadRoute6(f *os.File) ([]Route6, error) {
	rs, err := parseRoute6(io.LimitReader(f, maxRouteBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return rs, nil
}

// parseRoute6 parses /proc/net/ipv6_route text (no title line).
//
// Hand-written: procfs has no /proc/net/ipv6_route parser.
func parseRoute6(r io.Reader) ([]Route6, error) {
	return parseFieldLines(r, "ipv6_route", parseRoute6Line)
}

// parseFieldLines parses a title-less /proc table whose lines split on
// white space, one record per non-empty line, stopping at the first bad one.
func parseFieldLines[T any](r io.Reader, name string, parseLine func([]string) (T, error)) ([]T, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), 64*1024)
	out := []T{}
	for ln := 1; s.Scan(); ln++ {
		fields := strings.Fields(s.Text())
		if len(fields) == 0 {
			continue
		}
		v, err := parseLine(fields)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, ln, err)
		}
		out = append(out, v)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrParse, err)
	}
	return out, nil
}

// parseRoute6Line parses: dst dstlen src srclen nexthop metric refcnt use flags dev.
func parseRoute6Line(f []string) (Route6, error) {
	var rt Route6
	if len(f) != 10 {
		return rt, fmt.Errorf("%w: %d fields, want 10", ErrParse, len(f))
	}
	var err error
	if rt.Destination, err = parseRouteHex6(f[0]); err != nil {
		return rt, fmt.Errorf("destination: %w", err)
	}
	if rt.DstLen, err = parseRoutePlen(f[1]); err != nil {
		return rt, fmt.Errorf("destination prefix length: %w", err)
	}
	if rt.Source, err = parseRouteHex6(f[2]); err != nil {
		return rt, fmt.Errorf("source: %w", err)
	}
	if rt.SrcLen, err = parseRoutePlen(f[3]); err != nil {
		return rt, fmt.Errorf("source prefix length: %w", err)
	}
	if rt.NextHop, err = parseRouteHex6(f[4]); err != nil {
		return rt, fmt.Errorf("next hop: %w", err)
	}
	for _, d := range []struct {
		s    string
		name string
		dst  *uint32
	}{{f[5], "metric", &rt.Metric}, {f[6], "refcnt", &rt.RefCnt}, {f[7], "use", &rt.Use}, {f[8], "flags", (*uint32)(&rt.Flags)}} {
		v, err := strconv.ParseUint(d.s, 16, 32)
		if err != nil {
			return rt, fmt.Errorf("%s: %w: %q", d.name, ErrParse, d.s)
		}
		*d.dst = uint32(v)
	}
	rt.Iface = f[9]
	return rt, nil
}

// parseRouteHex6 decodes 32 hex digits in network byte order.
func parseRouteHex6(s string) (netip.Addr, error) {
	var b [16]byte
	if len(s) != 32 {
		return netip.Addr{}, fmt.Errorf("%w: address %q is not 32 hex digits", ErrParse, s)
	}
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return netip.Addr{}, fmt.Errorf("%w: address %q", ErrParse, s)
	}
	return netip.AddrFrom16(b), nil
}

// parseRoutePlen decodes a two-digit hex prefix length.
func parseRoutePlen(s string) (uint8, error) {
	v, err := strconv.ParseUint(s, 16, 8)
	if err != nil || v > 128 {
		return 0, fmt.Errorf("%w: prefix length %q", ErrParse, s)
	}
	return uint8(v), nil
}
