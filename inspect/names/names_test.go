package names

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

const namesRoot = "../../testdata/names"

// noDNS returns Names over the fixture tree whose DNS always fails.
func noDNS(t *testing.T) *Names {
	t.Helper()
	n := New(namesRoot, time.Second)
	n.LookupAddr = func(context.Context, string) ([]string, error) { return nil, errors.New("no DNS in tests") }
	return n
}

func TestNamesLookups(t *testing.T) {
	n := noDNS(t)
	a := netip.MustParseAddr
	for _, tc := range []struct {
		name, got, want string
	}{
		{"service tcp", n.Service(22, "tcp"), "ssh"},
		{"service udp", n.Service(53, "udp"), "domain"},
		{"service last entry wins", n.Service(7778, "udp"), "secondname"},
		{"service wrong proto", n.Service(7778, "tcp"), ""},
		{"service port wraps at 16 bits", n.Service(65616-65536, "tcp"), "wrapped"},
		{"service indented line", n.Service(8080, "tcp"), "indented"},
		{"raw: protocols before raw services, last wins", n.Service(1, "raw"), "old-icmp"},
		{"raw: raw service when no protocol", n.Service(253, "raw"), "raw-svc"},
		{"raw: protocol", n.Service(58, "raw"), "ipv6-icmp"},
		{"protocols are not tcp services", n.Service(17, "tcp"), ""},
		{"host first line wins", n.Host(a("127.0.0.1")), "localhost"},
		{"host v6", n.Host(a("::1")), "ip6-localhost"},
		{"host with comment", n.Host(a("10.200.0.1")), "a-very-long-hostname-for-testing.example.com"},
		{"mapped does not match v4 line", n.Host(a("::ffff:127.0.0.1")), ""},
		{"mapped matches mapped line", n.Host(a("::ffff:192.0.2.5")), "mapped-only"},
		{"v4 does not match mapped line", n.Host(a("192.0.2.5")), ""},
		{"zoned line ignored", n.Host(a("fe80::1")), ""},
		{"line without name ignored", n.Host(a("192.0.2.9")), ""},
		{"invalid address", n.Host(netip.Addr{}), ""},
		{"network padded", n.Network(a("10.92.0.0")), "shortnet"},
		{"network first wins", n.Network(a("10.92.0.0")), "shortnet"},
		{"network full", n.Network(a("10.50.0.0")), "averylongnetworkname"},
		{"network hex parts", n.Network(a("10.93.0.0")), "hexnet"},
		{"network default", n.Network(a("0.0.0.0")), "default"},
		{"network none", n.Network(a("10.51.0.0")), ""},
		{"network v6", n.Network(a("::1")), ""},
		{"user", n.User(0), "root"},
		{"user nobody", n.User(65534), "nobody"},
		{"nis compat line is no user", n.User(1000), ""},
		{"user none", n.User(4242), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if err := n.Err(); err != nil {
		t.Errorf("Err: %v", err)
	}
}

func TestNamesMissingFiles(t *testing.T) {
	n := New(t.TempDir(), 0)
	if got := n.Service(22, "tcp") + n.Host(netip.MustParseAddr("127.0.0.1")) + n.User(0) + n.Network(netip.MustParseAddr("127.0.0.0")); got != "" {
		t.Errorf("names from an empty tree: %q", got)
	}
	if err := n.Err(); err != nil {
		t.Errorf("missing files are not errors: %v", err)
	}
}

func TestNamesUnreadableFile(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc", "services"), 0o755); err != nil {
		t.Fatal(err)
	}
	n := New(root, 0)
	if got := n.Service(22, "tcp"); got != "" {
		t.Errorf("got %q", got)
	}
	if err := n.Err(); err == nil || !strings.Contains(err.Error(), "services") {
		t.Errorf("Err = %v, want one naming the services file", err)
	}
}

func TestNamesDNS(t *testing.T) {
	var calls atomic.Int32
	n := New(t.TempDir(), time.Second)
	n.LookupAddr = func(_ context.Context, addr string) ([]string, error) {
		calls.Add(1)
		switch addr {
		case "192.0.2.1":
			return []string{"one.example.", "alias.example."}, nil
		case "::ffff:192.0.2.2":
			return []string{"mapped.example."}, nil
		}
		return nil, errors.New("NXDOMAIN")
	}
	a := netip.MustParseAddr
	if got := n.Host(a("192.0.2.1")); got != "one.example" {
		t.Errorf("PTR: got %q", got)
	}
	if got := n.Host(a("::ffff:192.0.2.2")); got != "mapped.example" {
		t.Errorf("mapped PTR (asked in v6 text): got %q", got)
	}
	if got := n.Host(a("192.0.2.3")); got != "" {
		t.Errorf("NXDOMAIN: got %q", got)
	}
	n.Host(a("192.0.2.1"))
	n.Host(a("192.0.2.3"))
	if c := calls.Load(); c != 3 {
		t.Errorf("%d lookups, want 3 (positive and negative answers cached)", c)
	}
}

// TestNamesDNSBudget uses a resolver that never answers and ignores its
// context: every lookup must still end at the timeout, and once the budget
// is spent no more lookups are started.
func TestNamesDNSBudget(t *testing.T) {
	var calls atomic.Int32
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	n := New(t.TempDir(), 30*time.Millisecond)
	n.Budget = 100 * time.Millisecond
	n.LookupAddr = func(context.Context, string) ([]string, error) {
		calls.Add(1)
		<-block
		return nil, errors.New("unreachable")
	}
	start := time.Now()
	for i := 1; i <= 50; i++ {
		if got := n.Host(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})); got != "" {
			t.Fatalf("got %q", got)
		}
	}
	elapsed := time.Since(start)
	if elapsed > time.Second {
		t.Errorf("50 lookups took %v; the 100ms budget should stop them", elapsed)
	}
	// On a loaded machine a 30ms timeout can take longer to fire, so fewer
	// lookups fit; more than budget/timeout+2 would mean the budget leaks.
	if c := calls.Load(); c < 1 || c > 5 {
		t.Errorf("%d lookups started, want 1-5 (budget 100ms / timeout 30ms)", c)
	}
}

func TestNamesConcurrent(t *testing.T) {
	n := noDNS(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if n.Service(22, "tcp") != "ssh" || n.Host(netip.MustParseAddr("127.0.0.1")) != "localhost" || n.User(0) != "root" {
					t.Error("wrong name under concurrency")
					return
				}
				n.Host(netip.AddrFrom4([4]byte{192, 0, 2, byte(j)}))
			}
		}()
	}
	wg.Wait()
}

func TestParseServicesLine(t *testing.T) {
	type res struct {
		Name  string
		Port  uint16
		Proto string
		Err   bool
	}
	for _, tc := range []struct {
		name, line string
		want       res
	}{
		{"ok", "ssh 22/tcp", res{"ssh", 22, "tcp", false}},
		{"aliases and comment", "http 80/tcp www # WWW", res{"http", 80, "tcp", false}},
		{"wraps", "x 65537/udp", res{"x", 1, "udp", false}},
		{"overflow is 0xffff", "x 99999999999999999999999/udp", res{"x", 0xffff, "udp", false}},
		{"missing port", "ssh", res{Err: true}},
		{"missing proto", "ssh 22", res{Err: true}},
		{"empty proto", "ssh 22/", res{Err: true}},
		{"bad port", "ssh 2x/tcp", res{Err: true}},
		{"negative port", "ssh -1/tcp", res{Err: true}},
		{"comment only", "# ssh 22/tcp", res{Err: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, port, proto, err := parseServicesLine(tc.line)
			got := res{name, port, proto, err != nil}
			if err != nil && !errors.Is(err, inspect.ErrParse) {
				t.Errorf("error %v does not wrap inspect.ErrParse", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestParseProtocolsLine(t *testing.T) {
	for _, tc := range []struct {
		name, line, wantName string
		wantNum              uint16
		wantErr              bool
	}{
		{"ok", "icmp 1 ICMP # comment", "icmp", 1, false},
		{"missing number", "icmp", "", 0, true},
		{"bad number", "icmp one", "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, num, err := parseProtocolsLine(tc.line)
			if name != tc.wantName || num != tc.wantNum || (err != nil) != tc.wantErr {
				t.Errorf("got %q %d %v", name, num, err)
			}
		})
	}
}

func TestParseHostsLine(t *testing.T) {
	for _, tc := range []struct {
		name, line, wantAddr, wantName string
		wantErr                        bool
	}{
		{"v4", "127.0.0.1 localhost loopback", "127.0.0.1", "localhost", false},
		{"v6", "::1\tip6-localhost", "::1", "ip6-localhost", false},
		{"mapped stays mapped", "::ffff:1.2.3.4 m", "::ffff:1.2.3.4", "m", false},
		{"missing name", "127.0.0.1", "", "", true},
		{"bad address", "localhost 127.0.0.1", "", "", true},
		{"leading zero octet", "010.0.0.1 x", "", "", true},
		{"zone", "fe80::1%eth0 x", "", "", true},
		{"name only in comment", "127.0.0.1 # localhost", "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, name, err := parseHostsLine(tc.line)
			gotAddr := ""
			if a.IsValid() {
				gotAddr = a.String()
			}
			if gotAddr != tc.wantAddr || name != tc.wantName || (err != nil) != tc.wantErr {
				t.Errorf("got %q %q %v", gotAddr, name, err)
			}
		})
	}
}

func TestParseNetworksLine(t *testing.T) {
	for _, tc := range []struct {
		name, line, wantName string
		wantNum              uint32
		wantErr              bool
	}{
		{"full", "net 10.50.0.0", "net", 0x0a320000, false},
		{"padded two parts", "net 10.92", "net", 0x0a5c0000, false},
		{"padded one part", "net 10", "net", 0x0a000000, false},
		{"hex", "net 0x0a.0x5c", "net", 0x0a5c0000, false},
		{"octal", "net 012.0", "net", 0x0a000000, false},
		{"missing number", "net", "", 0, true},
		{"five parts", "net 1.2.3.4.5", "", 0, true},
		{"part over 255", "net 10.256", "", 0, true},
		{"empty part", "net 10..1", "", 0, true},
		{"bad octal digit", "net 09", "", 0, true},
		{"bare 0x", "net 0x", "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, num, err := parseNetworksLine(tc.line)
			if name != tc.wantName || num != tc.wantNum || (err != nil) != tc.wantErr {
				t.Errorf("got %q %#x %v", name, num, err)
			}
		})
	}
}

func TestParsePasswdLine(t *testing.T) {
	for _, tc := range []struct {
		name, line, wantName string
		wantUID              uint32
		wantErr              bool
	}{
		{"ok", "root:x:0:0:root:/root:/bin/bash", "root", 0, false},
		{"short line", "root:x", "", 0, true},
		{"bad uid", "root:x:zero:0::/:", "", 0, true},
		{"uid too big", "root:x:4294967296:0::/:", "", 0, true},
		{"nis plus", "+user::1:1:::", "", 0, true},
		{"nis minus", "-user::1:1:::", "", 0, true},
		{"empty name", ":x:5:5::/:", "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, uid, err := parsePasswdLine(tc.line)
			if name != tc.wantName || uid != tc.wantUID || (err != nil) != tc.wantErr {
				t.Errorf("got %q %d %v", name, uid, err)
			}
		})
	}
}

func fuzzSeed(f *testing.F, file string) {
	data, err := os.ReadFile(filepath.Join(namesRoot, "etc", file))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	for _, l := range strings.Split(string(data), "\n") {
		f.Add(l)
	}
}

func FuzzParseServices(f *testing.F) {
	fuzzSeed(f, "services")
	fuzzSeed(f, "protocols")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseServices(strings.NewReader(s))
		if err == nil && m == nil {
			t.Fatal("nil map without error")
		}
		if _, err := parseProtocols(strings.NewReader(s)); err != nil && !errors.Is(err, inspect.ErrParse) {
			t.Fatal(err)
		}
	})
}

func FuzzParseHosts(f *testing.F) {
	fuzzSeed(f, "hosts")
	fuzzSeed(f, "networks")
	fuzzSeed(f, "passwd")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseHosts(strings.NewReader(s))
		if err == nil {
			for a, name := range m {
				if !a.IsValid() || name == "" || strings.ContainsAny(name, " \t#") {
					t.Fatalf("bad entry %v %q", a, name)
				}
			}
		}
		_, _ = parseNetworks(strings.NewReader(s))
		_, _ = parsePasswd(strings.NewReader(s))
	})
}
