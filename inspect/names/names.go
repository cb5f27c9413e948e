// Package names answers the name lookups netstat prints when -n is not
// given: services, hosts (then a DNS PTR lookup), networks and users, from
// one etc tree, every DNS lookup bounded in time (see Names).
package names

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// maxEtcBytes caps how much of one /etc database is read.
const maxEtcBytes = 16 << 20

// DefaultDNSBudgetFactor sets Names.Budget from the per-lookup timeout.
const DefaultDNSBudgetFactor = 5

// Names answers netstat's name lookups (it has output.Names' method set) from
// one etc tree, the way glibc's "files" NSS sources and net-tools use them:
//
//   - services: /etc/services, the last entry for (port, proto) wins, as
//     net-tools pushes every getservent entry to the front of its list; for
//     "raw" the /etc/protocols names are searched first.
//   - hosts: /etc/hosts, the first line for an address gives the name, then a
//     DNS PTR lookup. Addresses match with their family: a v4-mapped
//     ::ffff:a.b.c.d does not match an IPv4 line (glibc behaves so).
//   - networks: /etc/networks with getnetbyaddr semantics (short numbers are
//     padded with .0, first match wins).
//   - users: /etc/passwd, first match.
//
// Files are read lazily, once. DNS answers, positive and negative, are kept
// for the life of the value, so make one per run. Every lookup takes at most
// Timeout and all lookups together at most Budget, after which uncached
// addresses get no name: a dead resolver slows a table down, it never hangs
// it. Methods are safe for concurrent use; set the exported fields before the
// first call.
type Names struct {
	// LookupAddr is the DNS PTR lookup (net.Resolver.LookupAddr's shape);
	// nil disables DNS.
	LookupAddr func(ctx context.Context, addr string) ([]string, error)
	// Timeout bounds one DNS lookup; Budget bounds the time spent in all of
	// them. Zero or less disables DNS.
	Timeout time.Duration
	Budget  time.Duration
	// Ctx, when set, ends every lookup once it is done (a signal).
	Ctx context.Context

	etcRoot string

	servicesOnce, hostsOnce, networksOnce, passwdOnce sync.Once

	services  map[serviceKey]string
	protocols map[uint16]string
	hosts     map[netip.Addr]string
	networks  map[uint32]string
	users     map[uint32]string

	mu    sync.Mutex
	dns   map[netip.Addr]string // "" caches a failed lookup
	spent time.Duration
	errs  []error
}

type serviceKey struct {
	port  uint16
	proto string
}

// New returns Names reading etcRoot/etc/{services,protocols,hosts,
// networks,passwd} ("" means "/") and asking the Go resolver for PTR records
// with the given per-lookup timeout (zero or less: no DNS) and a total budget
// of DefaultDNSBudgetFactor timeouts. The Go resolver reads the host's own
// /etc/resolv.conf, not etcRoot's.
func New(etcRoot string, timeout time.Duration) *Names {
	if etcRoot == "" {
		etcRoot = "/"
	}
	return &Names{
		LookupAddr: net.DefaultResolver.LookupAddr,
		Timeout:    timeout,
		Budget:     DefaultDNSBudgetFactor * timeout,
		etcRoot:    etcRoot,
		dns:        map[netip.Addr]string{},
	}
}

// Err reports the errors met reading the databases so far (a missing file is
// not one); the lookups then behave as if the file were empty.
func (n *Names) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return errors.Join(n.errs...)
}

// Host returns the name of a: the first /etc/hosts line for it, else the
// first PTR name with its trailing dot removed, else "".
func (n *Names) Host(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	a = a.WithZone("")
	n.hostsOnce.Do(func() {
		n.hosts = readEtc(n, "hosts", parseHosts)
	})
	if name, ok := n.hosts[a]; ok {
		return name
	}
	return n.lookupDNS(a)
}

// lookupDNS asks LookupAddr within the timeout and what is left of the
// budget. The call runs on its own goroutine so that a lookup function which
// ignores its context still cannot hold the caller past the deadline.
func (n *Names) lookupDNS(a netip.Addr) string {
	n.mu.Lock()
	if name, ok := n.dns[a]; ok {
		n.mu.Unlock()
		return name
	}
	left := n.Budget - n.spent
	lookup, timeout := n.LookupAddr, n.Timeout
	n.mu.Unlock()
	if lookup == nil || timeout <= 0 || left <= 0 {
		return ""
	}
	parent := n.Ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, min(timeout, left))
	defer cancel()
	type answer struct {
		names []string
		err   error
	}
	ch := make(chan answer, 1)
	start := time.Now()
	go func() {
		names, err := lookup(ctx, a.String())
		ch <- answer{names, err}
	}()
	var name string
	select {
	case ans := <-ch:
		if ans.err == nil && len(ans.names) > 0 {
			name = strings.TrimSuffix(ans.names[0], ".")
		}
	case <-ctx.Done():
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.spent += time.Since(start)
	if n.dns == nil {
		n.dns = map[netip.Addr]string{}
	}
	if prev, ok := n.dns[a]; ok {
		return prev
	}
	n.dns[a] = name
	return name
}

// Network returns the /etc/networks name of the IPv4 network address a
// (getnetbyaddr), "" for none or for an IPv6 address.
func (n *Names) Network(a netip.Addr) string {
	if !a.Is4() {
		return ""
	}
	n.networksOnce.Do(func() {
		n.networks = readEtc(n, "networks", parseNetworks)
	})
	b := a.As4()
	return n.networks[uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])]
}

// Service returns the name of port for proto ("tcp", "udp", "raw", ...).
func (n *Names) Service(port uint16, proto string) string {
	n.servicesOnce.Do(func() {
		n.services = readEtc(n, "services", parseServices)
		n.protocols = readEtc(n, "protocols", parseProtocols)
	})
	if proto == "raw" {
		if name, ok := n.protocols[port]; ok {
			return name
		}
	}
	return n.services[serviceKey{port, proto}]
}

// User returns the /etc/passwd name of uid, "" for none.
func (n *Names) User(uid uint32) string {
	n.passwdOnce.Do(func() {
		n.users = readEtc(n, "passwd", parsePasswd)
	})
	return n.users[uid]
}

// readEtc opens etcRoot/etc/name and parses at most maxEtcBytes of it. A
// missing file gives an empty map; other errors are kept for Err.
func readEtc[M any](n *Names, name string, parse func(io.Reader) (M, error)) M {
	path := filepath.Join(n.etcRoot, "etc", name)
	var m M
	f, err := os.Open(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			n.addErr(etcOpenError(path, err))
		}
		m, _ = parse(strings.NewReader(""))
		return m
	}
	defer f.Close()
	m, err = parse(io.LimitReader(f, maxEtcBytes))
	if err != nil {
		n.addErr(fmt.Errorf("%s: %w", path, err))
	}
	return m
}

func etcOpenError(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%s: %w", path, inspect.ErrPermission)
	}
	return fmt.Errorf("%s: %w", path, err)
}

func (n *Names) addErr(err error) {
	n.mu.Lock()
	n.errs = append(n.errs, err)
	n.mu.Unlock()
}

// eachEtcLine calls fn with every line of an /etc database as glibc's
// nss_files reads it: leading blanks skipped, empty lines and lines starting
// with '#' ignored. Lines fn rejects are skipped, as glibc skips them.
func eachEtcLine(r io.Reader, fn func(line string)) error {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), 1<<20)
	for s.Scan() {
		line := strings.TrimLeft(s.Text(), " \t\v\f\r")
		if line == "" || line[0] == '#' {
			continue
		}
		fn(line)
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("%w: %v", inspect.ErrParse, err)
	}
	return nil
}

// etcFields cuts a line at its first '#' (the comment character of the
// hosts, services, protocols and networks files) and splits it at blanks.
func etcFields(line string) []string {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	return strings.Fields(line)
}

// parseServices parses /etc/services into (port, proto) → name, later lines
// replacing earlier ones.
func parseServices(r io.Reader) (map[serviceKey]string, error) {
	m := map[serviceKey]string{}
	err := eachEtcLine(r, func(line string) {
		name, port, proto, err := parseServicesLine(line)
		if err == nil {
			m[serviceKey{port, proto}] = name
		}
	})
	return m, err
}

// parseServicesLine parses "name port/proto [aliases] [# comment]". The port
// is read like glibc's strtoul and stored in 16 bits (htons), so it wraps.
func parseServicesLine(line string) (name string, port uint16, proto string, err error) {
	f := etcFields(line)
	if len(f) < 2 {
		return "", 0, "", fmt.Errorf("%w: services line %q: want name and port/proto", inspect.ErrParse, line)
	}
	num, proto, ok := strings.Cut(f[1], "/")
	if !ok || proto == "" {
		return "", 0, "", fmt.Errorf("%w: services port/proto %q", inspect.ErrParse, f[1])
	}
	port, err = parseWrapped16(num)
	if err != nil {
		return "", 0, "", fmt.Errorf("%w: services port %q", inspect.ErrParse, num)
	}
	return f[0], port, proto, nil
}

// parseProtocols parses /etc/protocols into number → name, last line wins
// (net-tools adds every entry to the front of its raw list).
func parseProtocols(r io.Reader) (map[uint16]string, error) {
	m := map[uint16]string{}
	err := eachEtcLine(r, func(line string) {
		name, num, err := parseProtocolsLine(line)
		if err == nil {
			m[num] = name
		}
	})
	return m, err
}

// parseProtocolsLine parses "name number [aliases] [# comment]".
func parseProtocolsLine(line string) (name string, num uint16, err error) {
	f := etcFields(line)
	if len(f) < 2 {
		return "", 0, fmt.Errorf("%w: protocols line %q: want name and number", inspect.ErrParse, line)
	}
	num, err = parseWrapped16(f[1])
	if err != nil {
		return "", 0, fmt.Errorf("%w: protocols number %q", inspect.ErrParse, f[1])
	}
	return f[0], num, nil
}

// parseWrapped16 reads a decimal number as strtoul does and keeps its low 16
// bits as htons does; an overflowing number is ULONG_MAX, so 0xffff.
func parseWrapped16(s string) (uint16, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0xffff, nil
		}
		return 0, err
	}
	return uint16(v), nil
}

// parseHosts parses /etc/hosts into address → canonical name; the first line
// for an address wins, as gethostbyaddr stops at the first match.
func parseHosts(r io.Reader) (map[netip.Addr]string, error) {
	m := map[netip.Addr]string{}
	err := eachEtcLine(r, func(line string) {
		a, name, err := parseHostsLine(line)
		if err != nil {
			return
		}
		if _, ok := m[a]; !ok {
			m[a] = name
		}
	})
	return m, err
}

// parseHostsLine parses "address name [aliases] [# comment]". Addresses are
// inet_pton text: dotted quads give 4-byte addresses, IPv6 text 16-byte ones
// (::ffff:a.b.c.d stays mapped); zones are not accepted.
func parseHostsLine(line string) (netip.Addr, string, error) {
	f := etcFields(line)
	if len(f) < 2 {
		return netip.Addr{}, "", fmt.Errorf("%w: hosts line %q: want address and name", inspect.ErrParse, line)
	}
	a, err := netip.ParseAddr(f[0])
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, "", fmt.Errorf("%w: hosts address %q", inspect.ErrParse, f[0])
	}
	return a, f[1], nil
}

// parseNetworks parses /etc/networks into network number → name; the first
// line for a number wins, as getnetbyaddr stops at the first match.
func parseNetworks(r io.Reader) (map[uint32]string, error) {
	m := map[uint32]string{}
	err := eachEtcLine(r, func(line string) {
		name, num, err := parseNetworksLine(line)
		if err != nil {
			return
		}
		if _, ok := m[num]; !ok {
			m[num] = name
		}
	})
	return m, err
}

// parseNetworksLine parses "name number [aliases] [# comment]". glibc pads a
// number with fewer than four parts with ".0" before inet_network, so
// "shortnet 10.92" is 10.92.0.0.
func parseNetworksLine(line string) (name string, num uint32, err error) {
	f := etcFields(line)
	if len(f) < 2 {
		return "", 0, fmt.Errorf("%w: networks line %q: want name and number", inspect.ErrParse, line)
	}
	num, ok := inetNetwork(f[1])
	if !ok {
		return "", 0, fmt.Errorf("%w: networks number %q", inspect.ErrParse, f[1])
	}
	return f[0], num, nil
}

// inetNetwork is glibc's inet_network on the number padded to four parts:
// each part is decimal, octal (leading 0) or hex (leading 0x) and at most 255.
func inetNetwork(s string) (uint32, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return 0, false
	}
	var v uint32
	for _, p := range parts {
		base := 10
		switch {
		case len(p) > 1 && (p[1] == 'x' || p[1] == 'X') && p[0] == '0':
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		if p == "" || p[0] == '+' || p[0] == '-' {
			return 0, false
		}
		o, err := strconv.ParseUint(p, base, 8)
		if err != nil {
			return 0, false
		}
		v = v<<8 | uint32(o)
	}
	return v << (8 * (4 - len(parts))), true
}

// parsePasswd parses /etc/passwd into uid → name; the first line for a uid
// wins, as getpwuid stops at the first match.
func parsePasswd(r io.Reader) (map[uint32]string, error) {
	m := map[uint32]string{}
	err := eachEtcLine(r, func(line string) {
		name, uid, err := parsePasswdLine(line)
		if err != nil {
			return
		}
		if _, ok := m[uid]; !ok {
			m[uid] = name
		}
	})
	return m, err
}

// parsePasswdLine parses "name:password:uid:gid:gecos:dir:shell". NIS compat
// lines (+name, -name) are not entries of their own and are rejected.
func parsePasswdLine(line string) (name string, uid uint32, err error) {
	f := strings.Split(line, ":")
	if len(f) < 3 {
		return "", 0, fmt.Errorf("%w: passwd line %q: want name:password:uid", inspect.ErrParse, line)
	}
	if f[0] == "" || f[0][0] == '+' || f[0][0] == '-' {
		return "", 0, fmt.Errorf("%w: passwd name %q", inspect.ErrParse, f[0])
	}
	u, err := strconv.ParseUint(f[2], 10, 32)
	if err != nil {
		return "", 0, fmt.Errorf("%w: passwd uid %q", inspect.ErrParse, f[2])
	}
	return f[0], uint32(u), nil
}
