package output

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAppendInetNtop(t *testing.T) {
	cases := []struct{ in, want string }{
		{"::10.0.0.1", "::10.0.0.1"}, // IPv4-compatible: glibc dotted, Go ::a00:1
		{"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		{"::2", "::2"}, // ::0.0.0.2: run of 7, not dotted in glibc
		{"::1", "::1"},
		{"::", "::"},
		{"2001:db8::1", "2001:db8::1"},
		{"fe80::1", "fe80::1"},
		{"::0.1.0.0", "::0.1.0.0"},
		{"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},          // the longer run wins
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},    // first run wins a tie
		{"2001:db8:1:2:3:4:5:0", "2001:db8:1:2:3:4:5:0"}, // single zero word is not compressed
		{"1::", "1::"},
		{"::ffff:0:1.2.3.4", "::ffff:0:102:304"},
		{"0:0:0:0:0:1:0:0", "::1:0:0"},
		{longV6, longV6},
		{"192.0.2.1", "192.0.2.1"},
		{"0.0.0.0", "0.0.0.0"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got := string(appendInetNtop(nil, netip.MustParseAddr(tc.in)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestAppendHost(t *testing.T) {
	names := scenarioNames()
	names.hosts[netip.MustParseAddr("2001:db8::7")] = strings.Repeat("h", 128)
	names.hosts[netip.MustParseAddr("192.0.2.9")] = strings.Repeat("g", 130)
	cases := []struct {
		name    string
		addr    string
		numeric bool
		want    string
	}{
		{"v4 any numeric", "0.0.0.0", true, "0.0.0.0"},
		{"v4 any names", "0.0.0.0", false, "0.0.0.0"},
		{"v4 name", "127.0.0.1", false, "localhost"},
		{"v4 no name", "192.0.2.1", false, "192.0.2.1"},
		{"v4 name cut to 127 bytes", "192.0.2.9", false, strings.Repeat("g", 127)},
		{"v6 any numeric", "::", true, "::"},
		{"v6 any names", "::", false, "[::]"},
		{"v6 mapped numeric", "::ffff:127.0.0.1", true, "127.0.0.1"},
		{"v6 mapped not matched by v4 hosts line", "::ffff:127.0.0.1", false, "127.0.0.1"},
		{"v6 compat numeric stays", "::10.0.0.1", true, "::10.0.0.1"},
		{"v6 name", "fd00:200::2", false, "peer6.example"},
		{"v6 name too long for getnameinfo", "2001:db8::7", false, "2001:db8::7"},
		{"v6 link-local has no scope", "fe80::1", false, "fe80::1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(appendHost(nil, netip.MustParseAddr(tc.addr), tc.numeric, names))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestAppendAddrColumn(t *testing.T) {
	cases := []struct {
		name, host, port string
		wide             bool
		max              int
		want             string
	}{
		{"fits", "127.0.0.1", "22", false, tcpAddrMax, "127.0.0.1:22"},
		{"exactly 23 bytes is not cut", strings.Repeat("a", 17), "31337", false, tcpAddrMax, strings.Repeat("a", 17) + ":31337"},
		{"host cut, port kept", "a-very-long-hostname-for-testing.example.com", "31337", false, tcpAddrMax, "a-very-long-hostn:31337"},
		{"3-byte port keeps 19 host bytes", "a-very-long-hostname-for-testing.example.com", "udp", false, tcpAddrMax, "a-very-long-hostnam:udp"},
		{"long v6 numeric", longV6, "12345", false, tcpAddrMax, "fd00:1234:5678:9a:12345"},
		{"long service cut to 18, host to 4", "zerohost", "this-is-a-very-long-service-name-x", false, tcpAddrMax, "zero:this-is-a-very-lon"},
		{"short host, long service", "::", "this-is-a-very-long-service-name-x", false, tcpAddrMax, ":::this-is-a-very-lon"},
		{"wide keeps everything", "a-very-long-hostname-for-testing.example.com", "31337", true, tcpAddrMax, "a-very-long-hostname-for-testing.example.com:31337"},
		{"wide udp cut to 63 bytes", strings.Repeat("u", 70), "53", true, udpAddrMax, strings.Repeat("u", 63)},
		{"wide tcp cut to 127 bytes", strings.Repeat("t", 127), "53", true, tcpAddrMax, strings.Repeat("t", 127)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(appendAddrColumn(nil, []byte(tc.host), []byte(tc.port), tc.wide, tc.max))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestAppendPort(t *testing.T) {
	names := scenarioNames()
	names.services["7/tcp"] = strings.Repeat("s", 70)
	cases := []struct {
		name    string
		port    uint16
		proto   string
		numeric bool
		want    string
	}{
		{"port 0 is a star", 0, "tcp", false, "*"},
		{"port 0 is a star with -n", 0, "tcp", true, "*"},
		{"numeric", 22, "tcp", true, "22"},
		{"service", 22, "tcp", false, "ssh"},
		{"service per proto", 22, "udp", false, "22"},
		{"raw protocol", 58, "raw", false, "ipv6-icmp"},
		{"unknown raw protocol", 253, "raw", false, "253"},
		{"service cut to 63 bytes", 7, "tcp", false, strings.Repeat("s", 63)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(appendPort(nil, tc.port, tc.proto, tc.numeric, names))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestAppendProgram(t *testing.T) {
	if got := string(appendProgram(nil, nil, true)); got != "-"+strings.Repeat(" ", 19) {
		t.Errorf("nil owner: %q", got)
	}
}
