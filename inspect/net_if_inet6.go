package inspect

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
)

// IfInet6 is one line of /proc/net/if_inet6: an IPv6 address of a device.
type IfInet6 struct {
	Addr      netip.Addr `json:"address"`
	Index     uint32     `json:"ifindex"`
	PrefixLen uint8      `json:"prefixlen"`
	// Scope is the kernel's ipv6_addr_scope (0 global, 0x10 host, 0x20 link, 0x40 site).
	Scope uint8  `json:"scope"`
	Flags uint8  `json:"flags"`
	Iface string `json:"iface"`
}

// ReadIfInet6 reads an already-open /proc/net/if_inet6 of the wanted namespace.
func ReadIfInet6(f *os.File) ([]IfInet6, error) {
	as, err := parseIfInet6(io.LimitReader(f, maxNetDevBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return as, nil
}

// parseIfInet6 parses "addr32hex ifindex plen scope flags name" lines (no title).
//
// Hand-written: procfs has no /proc/net/if_inet6 parser.
func parseIfInet6(r io.Reader) ([]IfInet6, error) {
	return parseFieldLines(r, "if_inet6", parseIfInet6Line)
}

func parseIfInet6Line(f []string) (IfInet6, error) {
	var a IfInet6
	if len(f) != 6 {
		return a, fmt.Errorf("%w: %d fields, want 6", ErrParse, len(f))
	}
	var err error
	if a.Addr, err = parseRouteHex6(f[0]); err != nil {
		return a, fmt.Errorf("address: %w", err)
	}
	idx, err := strconv.ParseUint(f[1], 16, 32)
	if err != nil {
		return a, fmt.Errorf("ifindex: %w: %q", ErrParse, f[1])
	}
	a.Index = uint32(idx)
	for _, d := range []struct {
		s, name string
		dst     *uint8
	}{{f[2], "prefix length", &a.PrefixLen}, {f[3], "scope", &a.Scope}, {f[4], "flags", &a.Flags}} {
		v, err := strconv.ParseUint(d.s, 16, 8)
		if err != nil {
			return a, fmt.Errorf("%s: %w: %q", d.name, ErrParse, d.s)
		}
		*d.dst = uint8(v)
	}
	if a.PrefixLen > 128 {
		return a, fmt.Errorf("prefix length: %w: %q", ErrParse, f[2])
	}
	a.Iface = f[5]
	return a, nil
}
