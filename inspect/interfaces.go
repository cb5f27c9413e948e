package inspect

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// IfFlags are the low 16 bits of an interface's flags, as SIOCGIFFLAGS
// returns them (include/uapi/linux/if.h).
type IfFlags uint16

// Interface flag bits.
const (
	IFFUp         IfFlags = 0x1
	IFFBroadcast  IfFlags = 0x2
	IFFDebug      IfFlags = 0x4
	IFFLoopback   IfFlags = 0x8
	IFFPointToPt  IfFlags = 0x10
	IFFNoTrailers IfFlags = 0x20
	IFFRunning    IfFlags = 0x40
	IFFNoARP      IfFlags = 0x80
	IFFPromisc    IfFlags = 0x100
	IFFAllMulti   IfFlags = 0x200
	IFFMaster     IfFlags = 0x400
	IFFSlave      IfFlags = 0x800
	IFFMulticast  IfFlags = 0x1000
	IFFPortSel    IfFlags = 0x2000
	IFFAutoMedia  IfFlags = 0x4000
	IFFDynamic    IfFlags = 0x8000
)

var ifFlagNames = [16]string{"UP", "BROADCAST", "DEBUG", "LOOPBACK", "POINTOPOINT", "NOTRAILERS",
	"RUNNING", "NOARP", "PROMISC", "ALLMULTI", "MASTER", "SLAVE", "MULTICAST", "PORTSEL",
	"AUTOMEDIA", "DYNAMIC"}

// String names the set flags in bit order ("UP|BROADCAST|RUNNING|MULTICAST").
func (f IfFlags) String() string {
	var parts []string
	for i, n := range ifFlagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, "|")
}

// Interface is one row of netstat -i: a device from /proc/net/dev or an IPv4
// address label ("vethA:1") from SIOCGIFCONF.
type Interface struct {
	Name  string  `json:"iface"`
	MTU   int     `json:"mtu"`
	Flags IfFlags `json:"flags"`
	// Stats is nil for names that are not in /proc/net/dev (alias labels).
	Stats *DevStats `json:"stats"`
	// Detail holds what netstat -ie shows; ListInterfacesLong fills it.
	Detail *IfaceDetail `json:"detail,omitempty"`
}

// IfaceDetail is the ifconfig-style information of one interface name.
type IfaceDetail struct {
	// HWType is the ARPHRD_* type and HWAddr the 14 bytes of sa_data from SIOCGIFHWADDR.
	HWType uint16 `json:"hw_type"`
	HWAddr HWAddr `json:"hw_addr"`
	// TxQueueLen is -1 when SIOCGIFTXQLEN failed.
	TxQueueLen int `json:"txqueuelen"`
	// Addr is invalid when the name has no IPv4 address (SIOCGIFADDR failed);
	// the others are 0.0.0.0 when their ioctl failed.
	Addr      netip.Addr `json:"inet"`
	Netmask   netip.Addr `json:"netmask"`
	Broadcast netip.Addr `json:"broadcast"`
	Dest      netip.Addr `json:"destination"`
	Map       IfMap      `json:"map"`
	// Inet6 are the /proc/net/if_inet6 entries of exactly this name, in file order.
	Inet6 []IfInet6 `json:"inet6"`
}

// IfMap is struct ifmap from SIOCGIFMAP.
type IfMap struct {
	MemStart uint64 `json:"mem_start"`
	MemEnd   uint64 `json:"mem_end"`
	BaseAddr uint16 `json:"base_addr"`
	IRQ      uint8  `json:"irq"`
	DMA      uint8  `json:"dma"`
	Port     uint8  `json:"port"`
}

// HWAddr is raw sockaddr data of a hardware address.
type HWAddr []byte

// String is the bytes in colon-separated lowercase hex.
func (h HWAddr) String() string {
	var b strings.Builder
	for i, c := range h {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02x", c)
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler.
func (h HWAddr) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// errIfVanished is SIOCGIFFLAGS's ENODEV, worded as netstat prints it.
type errIfVanished struct{}

func (errIfVanished) Error() string        { return "Device not found" }
func (errIfVanished) Is(target error) bool { return target == ErrNotFound }

// interfaceFetcher answers the per-name ioctls; ListInterfaces uses the real
// one, tests a fake.
type interfaceFetcher interface {
	labels() ([]string, error)
	flags(name string) (IfFlags, error)
	mtu(name string) (int, error)
}

// listInterfaces merges dev names and IPv4 labels in netstat's order and
// fetches flags and MTU. It stops at the first name whose flags cannot be
// read and returns what it has with the error, as netstat prints the rows
// before "NAME: error fetching interface information: …".
func listInterfaces(fe interfaceFetcher, dev []NetDev) ([]Interface, error) {
	names := make([]string, 0, len(dev))
	stats := make(map[string]*DevStats, len(dev))
	for i := range dev {
		names = append(names, dev[i].Name)
		stats[dev[i].Name] = &dev[i].Stats
	}
	labels, err := fe.labels()
	if err != nil {
		return nil, err
	}
	order := mergeInterfaceNames(names, labels)
	out := make([]Interface, 0, len(order))
	for _, n := range order {
		fl, err := fe.flags(n)
		if err != nil {
			return out, fmt.Errorf("%s: error fetching interface information: %w", n, err)
		}
		// netstat ignores a failing SIOCGIFMTU and shows 0.
		mtu, err := fe.mtu(n)
		if err != nil {
			mtu = 0
		}
		it := Interface{Name: n, MTU: mtu, Flags: fl}
		if s, ok := stats[n]; ok {
			cp := *s
			it.Stats = &cp
		}
		out = append(out, it)
	}
	return out, nil
}

// mergeInterfaceNames inserts the names one by one into a list kept in
// nstrcmp order, exactly as net-tools' add_interface does: walk back from
// the tail to the first entry that sorts before the new name, drop exact
// duplicates. nstrcmp is not a total order, so the walk matters.
func mergeInterfaceNames(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, name := range l {
			i := len(out) - 1
			dup := false
			for ; i >= 0; i-- {
				n := nstrcmp(out[i], name)
				if n == 0 {
					dup = true
					break
				}
				if n < 0 {
					break
				}
			}
			if dup {
				continue
			}
			out = append(out, "")
			copy(out[i+2:], out[i+1:])
			out[i+1] = name
		}
	}
	return out
}

// nstrcmp is net-tools 2.10's lib/nstrcmp.c: compare the parts before the
// trailing digits up to the shorter one's length, then the longer non-digit
// part sorts after, then the trailing numbers, then the names, then the
// numeric ":N" alias suffixes.
func nstrcmp(a, b string) int {
	a, aAlias, aHas := nsCutAlias(a)
	b, bAlias, bHas := nsCutAlias(b)
	ai, bi := nsRindexNonDigit(a), nsRindexNonDigit(b)
	if res := nsStrncmp(a, b, min(ai, bi)); res != 0 {
		return res
	}
	if ai > bi {
		return 1
	}
	if ai < bi {
		return -1
	}
	if av, bv := nsAtoi(a[ai:]), nsAtoi(b[bi:]); av != bv {
		if av < bv {
			return -1
		}
		return 1
	}
	if res := strings.Compare(a, b); res != 0 {
		return res
	}
	av, bv := int32(-1), int32(-1)
	if aHas {
		av = nsAtoi(aAlias)
	}
	if bHas {
		bv = nsAtoi(bAlias)
	}
	if av != bv {
		if av < bv {
			return -1
		}
		return 1
	}
	if aHas && bHas {
		return strings.Compare(aAlias, bAlias)
	}
	return 0
}

func nsIsDigit(c byte) bool { return c >= '0' && c <= '9' }

// nsCutAlias splits a trailing ":digits" alias suffix off.
func nsCutAlias(s string) (name, alias string, ok bool) {
	digit := false
	for pos := len(s); pos > 0; pos-- {
		c := s[pos-1]
		if c == ':' && digit {
			return s[:pos-1], s[pos:], true
		}
		if !nsIsDigit(c) {
			break
		}
		digit = true
	}
	return s, "", false
}

// nsRindexNonDigit is the length of s without its trailing digits.
func nsRindexNonDigit(s string) int {
	for pos := len(s); pos > 0; pos-- {
		if !nsIsDigit(s[pos-1]) {
			return pos
		}
	}
	return 0
}

// nsStrncmp is C strncmp's sign on unsigned bytes.
func nsStrncmp(a, b string, n int) int {
	for i := 0; i < n; i++ {
		var ca, cb byte
		if i < len(a) {
			ca = a[i]
		}
		if i < len(b) {
			cb = b[i]
		}
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
		if ca == 0 {
			return 0
		}
	}
	return 0
}

// nsAtoi is glibc atoi on a digit run: strtol (saturating) truncated to int.
func nsAtoi(s string) int32 {
	end := 0
	for end < len(s) && nsIsDigit(s[end]) {
		end++
	}
	if end == 0 {
		return 0
	}
	v, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil {
		v = 1<<63 - 1
	}
	return int32(v)
}
