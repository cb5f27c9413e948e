//go:build linux

package output_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

// rsiTestNames answers from the same table the namespace's /etc/netns
// hosts and networks files are written from, so names rules are compared
// with netstat's and not the resolver.
type rsiTestNames struct {
	output.NoNames
	hosts, nets map[netip.Addr]string
}

func (n rsiTestNames) Host(a netip.Addr) string    { return n.hosts[a] }
func (n rsiTestNames) Network(a netip.Addr) string { return n.nets[a] }

type rsiNS struct {
	name  string
	names rsiTestNames
}

func rsiRun(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%q: %v\n%s%s", args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// rsiSetup builds a namespace with two veth pairs (both ends inside), v4 and
// v6 addresses, an IPv4 label and routes of every kind netstat renders.
func rsiSetup(t *testing.T) *rsiNS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a network namespace")
	}
	for _, bin := range []string{"ip", "netstat"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s: %v", bin, err)
		}
	}
	rnd := make([]byte, 4)
	if _, err := rand.Read(rnd); err != nil {
		t.Fatal(err)
	}
	ns := &rsiNS{name: "ks-b-" + hex.EncodeToString(rnd)}
	a := netip.MustParseAddr
	ns.names = rsiTestNames{
		hosts: map[netip.Addr]string{
			a("192.0.2.3"):   "peer",
			a("203.0.113.9"): "host-route-target.example",
			a("2001:db8::3"): "peer6.example",
			a("2001:db8::1"): "self6",
		},
		nets: map[netip.Addr]string{a("198.51.100.128"): "averylongnetworkname", a("203.0.113.0"): "docnet"},
	}
	// ip netns exec bind-mounts /etc/netns/NAME/* over /etc: name lookups
	// stay in files and never wait on DNS.
	etc := filepath.Join("/etc/netns", ns.name)
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(etc) })
	var hosts, nets strings.Builder
	hosts.WriteString("127.0.0.1 localhost\n")
	for ad, n := range ns.names.hosts {
		fmt.Fprintf(&hosts, "%s %s\n", ad, n)
	}
	for ad, n := range ns.names.nets {
		fmt.Fprintf(&nets, "%s %s\n", n, ad)
	}
	for f, s := range map[string]string{"hosts": hosts.String(), "networks": nets.String(),
		"nsswitch.conf": "hosts: files\nnetworks: files\nservices: files\nprotocols: files\npasswd: files\n",
		"resolv.conf":   "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"} {
		if err := os.WriteFile(filepath.Join(etc, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rsiRun(t, "ip", "netns", "add", ns.name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns.name).Run() })
	n := ns.name
	for _, c := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "vb0", "type", "veth", "peer", "name", "vb1"},
		{"link", "add", "veth-longname15", "type", "veth", "peer", "name", "v2"},
		{"link", "set", "vb0", "up"},
		{"link", "set", "vb1", "up"},
		{"link", "set", "veth-longname15", "up"},
		{"addr", "add", "192.0.2.1/24", "dev", "vb0"},
		{"addr", "add", "198.51.100.7/24", "dev", "vb0", "label", "vb0:1"},
		{"addr", "add", "192.0.2.2/24", "dev", "vb1"},
		{"addr", "add", "203.0.113.1/24", "dev", "veth-longname15"},
		{"-6", "addr", "add", "2001:db8::1/64", "dev", "vb0", "nodad"},
		{"-6", "addr", "add", "2001:db8::2/64", "dev", "vb1", "nodad"},
		{"route", "add", "default", "via", "192.0.2.3", "dev", "vb0"},
		{"route", "add", "203.0.113.9/32", "via", "192.0.2.3", "dev", "vb0"},
		{"route", "add", "198.51.100.128/25", "via", "192.0.2.3", "dev", "vb0", "metric", "100", "advmss", "1360", "window", "65535"},
		{"route", "add", "unreachable", "198.51.100.64/26"},
		{"route", "add", "prohibit", "198.51.100.32/27", "metric", "5"},
		{"route", "add", "unreachable", "198.51.100.9/32"},
		{"route", "add", "blackhole", "203.0.113.128/25"},
		{"route", "add", "203.0.113.64/26", "dev", "vb0", "metric", "4294967295"},
		{"route", "add", "203.0.113.32/27", "dev", "veth-longname15", "metric", "3000000000"},
		{"-6", "route", "add", "2001:db8:1::/48", "via", "2001:db8::3", "dev", "vb0", "metric", "50"},
		{"-6", "route", "add", "unreachable", "2001:db8:dead::/48"},
		{"-6", "route", "add", "default", "via", "2001:db8::3", "dev", "vb0"},
	} {
		rsiRun(t, append([]string{"ip", "-n", n}, c...)...)
	}
	return ns
}

// rsiReader opens the namespace's /proc/net files and an inet socket the
// way the command does.
type rsiReader struct {
	h  nsenter.Handle
	fd int
}

func rsiOpen(t *testing.T, ns *rsiNS) *rsiReader {
	t.Helper()
	h, err := nsenter.Open(filepath.Join("/run/netns", ns.name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	fd, err := nsenter.SocketAt(h, unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	rsiTraffic(t, h)
	return &rsiReader{h: h, fd: fd}
}

// rsiTraffic moves the counters -s prints: datagrams and connects to closed
// local ports give ICMP unreachables (histograms, IcmpMsg) and TCP resets.
func rsiTraffic(t *testing.T, h nsenter.Handle) {
	t.Helper()
	v4 := &unix.SockaddrInet4{Port: 9, Addr: [4]byte{192, 0, 2, 1}}
	v6 := &unix.SockaddrInet6{Port: 9, Addr: netip.MustParseAddr("2001:db8::1").As16()}
	for _, c := range []struct {
		domain, typ int
		sa          unix.Sockaddr
	}{
		{unix.AF_INET, unix.SOCK_DGRAM, v4}, {unix.AF_INET6, unix.SOCK_DGRAM, v6},
		{unix.AF_INET, unix.SOCK_STREAM, v4}, {unix.AF_INET6, unix.SOCK_STREAM, v6},
	} {
		fd, err := nsenter.SocketAt(h, c.domain, c.typ, 0)
		if err != nil {
			t.Fatal(err)
		}
		if c.typ == unix.SOCK_DGRAM {
			err = unix.Sendto(fd, []byte("x"), 0, c.sa)
		} else if err = unix.Connect(fd, c.sa); err == unix.ECONNREFUSED {
			err = nil
		}
		unix.Close(fd)
		if err != nil {
			t.Fatalf("traffic %d/%d: %v", c.domain, c.typ, err)
		}
	}
}

func (r *rsiReader) file(t *testing.T, name string) *os.File {
	t.Helper()
	fs, err := nsenter.OpenProcNet(r.h, "/proc", name)
	if err != nil || fs[0] == nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { fs[0].Close() })
	return fs[0]
}

// render produces our output for a netstat argument list.
func (r *rsiReader) render(t *testing.T, ns *rsiNS, args []string) string {
	t.Helper()
	var f output.Flags
	extend, v6, route, iface, stats, cache := 0, false, false, false, false, false
	var sel output.StatsSelect
	for _, a := range args {
		switch a {
		case "--numeric-ports":
			f.NumericPorts = true
			continue
		case "--numeric-users":
			f.NumericUsers = true
			continue
		}
		for _, c := range strings.TrimPrefix(a, "-") {
			switch c {
			case 'n':
				f.NumericHosts, f.NumericPorts, f.NumericUsers = true, true, true
			case 'e':
				extend++
			case '6':
				v6 = true
			case 'r':
				route = true
			case 'i':
				iface = true
			case 's':
				stats = true
			case 'a':
				f.All = true
			case 'C':
				cache = true
			case 't':
				sel.TCP = true
			case 'u':
				sel.UDP = true
			case 'w':
				sel.Raw = true
			default:
				t.Fatalf("test does not map flag %q", c)
			}
		}
	}
	f.Extend = extend
	var b bytes.Buffer
	var err error
	switch {
	case route && v6:
		var rs []inspect.Route6
		if rs, err = inspect.ReadRoute6(r.file(t, "ipv6_route")); err == nil {
			err = output.WriteRoutes6(&b, rs, f, cache, ns.names)
		}
	case route && cache:
		err = output.WriteRouteCache4(&b, extend)
	case route:
		var rs []inspect.Route4
		if rs, err = inspect.ReadRoute4(r.file(t, "route")); err == nil {
			err = output.WriteRoutes4(&b, rs, f, extend, ns.names)
		}
	case iface:
		var dev []inspect.NetDev
		var ifs []inspect.Interface
		if dev, err = inspect.ReadNetDev(r.file(t, "dev")); err != nil {
			break
		}
		if extend > 0 {
			var in6 []inspect.IfInet6
			if in6, err = inspect.ReadIfInet6(r.file(t, "if_inet6")); err != nil {
				break
			}
			ifs, err = inspect.ListInterfacesLong(r.fd, dev, in6)
		} else {
			ifs, err = inspect.ListInterfaces(r.fd, dev)
		}
		if err != nil {
			break
		}
		if err = output.WriteInterfaceTitle(&b); err == nil {
			err = output.WriteInterfaces(&b, ifs, f)
		}
	case stats:
		var snmp, other []inspect.SnmpSection
		if snmp, err = inspect.ReadSnmp(r.file(t, "snmp")); err != nil {
			break
		}
		if v6 {
			if other, err = inspect.ReadSnmp6(r.file(t, "snmp6")); err == nil {
				err = output.WriteStats6(&b, other, snmp, sel)
			}
		} else if other, err = inspect.ReadSnmp(r.file(t, "netstat")); err == nil {
			err = output.WriteStats4(&b, snmp, other, sel)
		}
	}
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return b.String()
}

var rsiDigits = regexp.MustCompile(` *[0-9]+ *`)

// rsiShape hides the counters, which move between netstat's read and ours,
// but keeps the layout: a digit run and the spaces around it become its
// total width, which stays fixed in padded columns whatever the digits.
func rsiShape(s string) []string {
	return strings.Split(rsiDigits.ReplaceAllStringFunc(s, func(m string) string {
		return fmt.Sprintf("<%d>", len(m))
	}), "\n")
}

func TestDifferentialRouteIfaceStats(t *testing.T) {
	ns := rsiSetup(t)
	r := rsiOpen(t, ns)
	for _, tc := range []struct {
		args  []string
		exact bool
	}{
		{[]string{"-rn"}, true},
		{[]string{"-rne"}, true},
		{[]string{"-rnee"}, true},
		{[]string{"-rneee"}, true},
		{[]string{"-r"}, true},
		{[]string{"-ree"}, true},
		{[]string{"-r", "--numeric-ports"}, true},
		{[]string{"-r", "--numeric-users"}, true},
		{[]string{"-rC"}, true},
		{[]string{"-rn", "-6"}, true},
		{[]string{"-r", "-6"}, true},
		{[]string{"-r", "-6", "--numeric-ports"}, true},
		{[]string{"-rne", "-6"}, true},
		{[]string{"-rC", "-6"}, true},
		{[]string{"-i"}, false},
		{[]string{"-ia"}, false},
		{[]string{"-ie"}, false},
		{[]string{"-iea"}, false},
		{[]string{"-s"}, false},
		{[]string{"-s", "-6"}, false},
		{[]string{"-st"}, false},
		{[]string{"-su"}, false},
		{[]string{"-sw"}, false},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			// Counters can cross zero between the two reads (an opt_number
			// line appears), so a mismatch is retried a few times.
			var d string
			for try := 0; try < 5; try++ {
				want := rsiRun(t, append([]string{"ip", "netns", "exec", ns.name, "netstat"}, tc.args...)...)
				got := r.render(t, ns, tc.args)
				if tc.exact {
					d = cmp.Diff(want, got)
				} else {
					d = cmp.Diff(rsiShape(want), rsiShape(got))
				}
				if d == "" {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
			t.Errorf("netstat %s (-want +got)\n%s", strings.Join(tc.args, " "), d)
		})
	}
}
