package output_test

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

// rtTestNames answers like the /etc/netns/nsA overrides of the captures.
type rtTestNames struct{ output.NoNames }

func (rtTestNames) Host(a netip.Addr) string {
	return map[netip.Addr]string{
		netip.MustParseAddr("10.9.9.9"):                                "host-route-target.example",
		netip.MustParseAddr("10.200.0.2"):                              "peer",
		netip.MustParseAddr("fd00:200::2"):                             "peer6.example",
		netip.MustParseAddr("fd00:1234:5678:9abc:def0:1234:5678:9abc"): "longv6",
	}[a]
}

func (rtTestNames) Network(a netip.Addr) string {
	return map[netip.Addr]string{
		netip.MustParseAddr("10.50.0.0"):   "averylongnetworkname",
		netip.MustParseAddr("10.92.0.0"):   "shortnet",
		netip.MustParseAddr("169.254.0.0"): "link-local",
	}[a]
}

func rtTestRead4(t *testing.T, name string) []inspect.Route4 {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "route", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := inspect.ReadRoute4(f)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func rtTestRead6(t *testing.T, name string) []inspect.Route6 {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "route", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := inspect.ReadRoute6(f)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func rtTestGolden(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteRoutes4Captures(t *testing.T) {
	rs := rtTestRead4(t, "route")
	num := output.Flags{NumericHosts: true, NumericPorts: true, NumericUsers: true}
	for _, tc := range []struct {
		name   string
		golden string
		f      output.Flags
		extend int
	}{
		{"A15 -r", "A15-r.txt", output.Flags{}, 0},
		{"A16 -rn", "A16-rn.txt", num, 0},
		{"A17 -rne", "A17-rne.txt", num, 1},
		{"A18 -ree", "A18-ree.txt", output.Flags{}, 2},
		{"A19 -rnee", "A19-rnee.txt", num, 2},
		{"A20 -reee", "A20-reee.txt", output.Flags{}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := output.WriteRoutes4(&b, rs, tc.f, tc.extend, rtTestNames{}); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(rtTestGolden(t, "route", tc.golden), b.String()); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// --numeric-ports or --numeric-users alone keep route names (netstat 2.10).
func TestWriteRoutes4NumericPortsOnly(t *testing.T) {
	rs := rtTestRead4(t, "route")
	var a, b bytes.Buffer
	if err := output.WriteRoutes4(&a, rs, output.Flags{NumericPorts: true, NumericUsers: true}, 0, rtTestNames{}); err != nil {
		t.Fatal(err)
	}
	if err := output.WriteRoutes4(&b, rs, output.Flags{}, 0, rtTestNames{}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(b.String(), a.String()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func TestWriteRoutes4Styles(t *testing.T) {
	for _, tc := range []struct{ extend, style int }{{0, 2}, {1, 1}, {2, 3}, {3, 0}, {4, 1}, {5, 2}, {6, 3}, {7, 0}} {
		if got := output.RouteStyle(tc.extend); got != tc.style {
			t.Errorf("RouteStyle(%d) = %d, want %d", tc.extend, got, tc.style)
		}
	}
}

// The metric column is a C int: the kernel's u32 wraps whichever way it was printed.
func TestWriteRoutes4SignedMetric(t *testing.T) {
	mk := func(metric int64) []inspect.Route4 {
		return []inspect.Route4{{Iface: "eth0", Destination: netip.MustParseAddr("192.0.2.0"),
			Gateway: netip.IPv4Unspecified(), Genmask: netip.MustParseAddr("255.255.255.0"),
			Flags: inspect.RTFUp, Metric: metric}}
	}
	for _, tc := range []struct {
		metric int64
		want   string
	}{
		{4294967295, "-1    "}, {-1, "-1    "}, {3000000000, "-1294967296"}, {-1294967296, "-1294967296"},
		{2147483648, "-2147483648"}, {7, "7     "},
	} {
		var b bytes.Buffer
		if err := output.WriteRoutes4(&b, mk(tc.metric), output.Flags{NumericHosts: true}, 1, nil); err != nil {
			t.Fatal(err)
		}
		want := "Kernel IP routing table\n" +
			"Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n" +
			"192.0.2.0       0.0.0.0         255.255.255.0   U     " + tc.want + " 0        0 eth0\n"
		if d := cmp.Diff(want, b.String()); d != "" {
			t.Errorf("metric %d (-want +got)\n%s", tc.metric, d)
		}
	}
}

func TestWriteRoutes4Flags(t *testing.T) {
	for _, tc := range []struct {
		flags inspect.RouteFlags
		want  string
	}{
		{inspect.RTFUp, "U"},
		{inspect.RTFUp | inspect.RTFGateway, "UG"},
		{inspect.RTFUp | inspect.RTFGateway | inspect.RTFHost, "UGH"},
		{inspect.RTFUp | inspect.RTFReject, "!"},
		{inspect.RTFUp | inspect.RTFGateway | inspect.RTFReject | inspect.RTFHost, "!H"},
		{inspect.RTFUp | inspect.RTFDynamic | inspect.RTFModified | inspect.RTFIRTT, "UDMi"},
	} {
		rs := []inspect.Route4{{Iface: "eth0", Destination: netip.MustParseAddr("192.0.2.1"),
			Gateway: netip.IPv4Unspecified(), Genmask: netip.MustParseAddr("255.255.255.255"), Flags: tc.flags}}
		var b bytes.Buffer
		if err := output.WriteRoutes4(&b, rs, output.Flags{NumericHosts: true}, 1, nil); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(b.Bytes(), []byte("\n"))
		got := string(bytes.Fields(lines[2][48:])[0])
		if got != tc.want {
			t.Errorf("flags %#x: got %q, want %q", uint32(tc.flags), got, tc.want)
		}
	}
}

func TestWriteRoutes4SkipsDown(t *testing.T) {
	rs := []inspect.Route4{{Iface: "eth0", Destination: netip.MustParseAddr("192.0.2.0"),
		Gateway: netip.IPv4Unspecified(), Genmask: netip.MustParseAddr("255.255.255.0"), Flags: inspect.RTFGateway}}
	var b bytes.Buffer
	if err := output.WriteRoutes4(&b, rs, output.Flags{}, 0, nil); err != nil {
		t.Fatal(err)
	}
	want := "Kernel IP routing table\nDestination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n"
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func TestWriteRoutes6Captures(t *testing.T) {
	rs := rtTestRead6(t, "ipv6_route")
	for _, tc := range []struct {
		name   string
		golden string
		f      output.Flags
	}{
		{"A22 -r -6", "A22-r6.txt", output.Flags{}},
		{"A23 -rn -6", "A23-rn6.txt", output.Flags{NumericHosts: true, NumericPorts: true, NumericUsers: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := output.WriteRoutes6(&b, rs, tc.f, false, rtTestNames{}); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(rtTestGolden(t, "route", tc.golden), b.String()); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestWriteRouteCacheA21(t *testing.T) {
	var b bytes.Buffer
	if err := output.WriteRouteCache4(&b, 0); err != nil {
		t.Fatal(err)
	}
	if err := output.WriteRoutes6(&b, rtTestRead6(t, "ipv6_route"), output.Flags{}, true, rtTestNames{}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rtTestGolden(t, "route", "A21-rC.txt"), b.String()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func TestWriteRouteCache4Styles(t *testing.T) {
	for _, tc := range []struct {
		extend int
		want   string
	}{
		{1, "Kernel IP routing cache\nSource          Destination     Gateway         Flags Metric Ref    Use Iface\n"},
		{2, "Kernel IP routing cache\nSource          Destination     Gateway         Flags Metric Ref    Use Iface    MSS   Window irtt  TOS HHRef HHUptod     SpecDst\n"},
		{3, "Kernel IP routing cache\n"},
	} {
		var b bytes.Buffer
		if err := output.WriteRouteCache4(&b, tc.extend); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, b.String()); d != "" {
			t.Errorf("extend %d (-want +got)\n%s", tc.extend, d)
		}
	}
}

// RTF_CACHE entries show only with -C, everything else only without.
func TestWriteRoutes6Cache(t *testing.T) {
	rs := rtTestRead6(t, "ipv6_route_cache")
	var fib, cache bytes.Buffer
	if err := output.WriteRoutes6(&fib, rs, output.Flags{NumericHosts: true}, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := output.WriteRoutes6(&cache, rs, output.Flags{NumericHosts: true}, true, nil); err != nil {
		t.Fatal(err)
	}
	const hdr = "Destination                    Next Hop                   Flag Met Ref  Use If\n"
	wantFib := "Kernel IPv6 routing table\n" + hdr +
		"2001:db8::/32                  ::                         U    256 1      0 vethA\n"
	wantCache := "Kernel IPv6 routing cache\n" + hdr +
		"2001:db8::7/128                fe80::1                    UGC  0   1      3 vethA\n"
	if d := cmp.Diff(wantFib, fib.String()); d != "" {
		t.Errorf("fib (-want +got)\n%s", d)
	}
	if d := cmp.Diff(wantCache, cache.String()); d != "" {
		t.Errorf("cache (-want +got)\n%s", d)
	}
}

// glibc inet_ntop forms that differ from Go's netip.
func TestWriteRoutes6Ntop(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"::10.0.0.1", "::10.0.0.1/128"},
		{"::ffff:1.2.3.4", "::ffff:1.2.3.4/128"},
		{"::2", "::2/128"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1/128"},
		{"2001:0:0:1:0:0:0:1", "2001:0:0:1::1/128"},
		{"2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1/128"},
		{"1::", "1::/128"},
		{"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8/128"},
	} {
		rs := []inspect.Route6{{Destination: netip.MustParseAddr(tc.addr), DstLen: 128, NextHop: netip.IPv6Unspecified(),
			Flags: inspect.RTFUp, Iface: "lo"}}
		var b bytes.Buffer
		if err := output.WriteRoutes6(&b, rs, output.Flags{NumericHosts: true}, false, nil); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(b.Bytes(), []byte("\n"))
		if got := string(bytes.Fields(lines[2])[0]); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.addr, got, tc.want)
		}
	}
}
