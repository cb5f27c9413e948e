package output

import (
	"bufio"
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// mapNames is the name database of the Appendix A scenario
// (/etc/netns/nsA/{hosts,services} plus the stock protocols).
type mapNames struct {
	hosts    map[netip.Addr]string
	networks map[netip.Addr]string
	services map[string]string // "port/proto"
	users    map[uint32]string
}

func (m mapNames) Host(a netip.Addr) string    { return m.hosts[a] }
func (m mapNames) Network(a netip.Addr) string { return m.networks[a] }
func (m mapNames) Service(p uint16, proto string) string {
	return m.services[strconv.Itoa(int(p))+"/"+proto]
}
func (m mapNames) User(uid uint32) string { return m.users[uid] }

const longV6 = "fd00:1234:5678:9abc:def0:1234:5678:9abc"

func scenarioNames() mapNames {
	return mapNames{
		hosts: map[netip.Addr]string{
			netip.MustParseAddr("127.0.0.1"):   "localhost",
			netip.MustParseAddr("10.200.0.1"):  "a-very-long-hostname-for-testing.example.com",
			netip.MustParseAddr("10.200.0.2"):  "peer",
			netip.MustParseAddr("10.201.1.0"):  "zerohost",
			netip.MustParseAddr("fd00:200::2"): "peer6.example",
			netip.MustParseAddr(longV6):        "longv6",
		},
		services: map[string]string{
			"22/tcp": "ssh", "6000/tcp": "x11", "6001/tcp": "x11-1", "8080/tcp": "http-alt",
			"443/tcp": "https", "5432/tcp": "postgresql",
			"53/udp": "domain", "123/udp": "ntp", "443/udp": "https", "5353/udp": "mdns",
			"1/raw": "icmp", "17/raw": "udp", "58/raw": "ipv6-icmp",
		},
		users: map[uint32]string{0: "root", 65534: "nobody"},
	}
}

var protoByName = map[string]inspect.Proto{
	"tcp": inspect.ProtoTCP, "tcp6": inspect.ProtoTCP6, "udp": inspect.ProtoUDP, "udp6": inspect.ProtoUDP6,
	"udpl": inspect.ProtoUDPLite, "udpl6": inspect.ProtoUDPLite6, "raw": inspect.ProtoRaw, "raw6": inspect.ProtoRaw6,
}

// loadSockets reads a testdata/output socket fixture: proto local remote
// state recvq sendq [uid inode timer ticks retrans probes owner...].
func loadSockets(t testing.TB, name string) []inspect.Socket {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "output", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []inspect.Socket
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.SplitN(line, " ", 13)
		num := func(i int) uint64 {
			if i >= len(f) {
				return 0
			}
			v, err := strconv.ParseUint(f[i], 10, 64)
			if err != nil {
				t.Fatalf("%s: field %d of %q: %v", name, i, line, err)
			}
			return v
		}
		sk := inspect.Socket{
			Proto:  protoByName[f[0]],
			Local:  netip.MustParseAddrPort(f[1]),
			Remote: netip.MustParseAddrPort(f[2]),
			State:  inspect.TCPState(num(3)),
			RecvQ:  num(4),
			SendQ:  num(5),
		}
		if len(f) == 13 {
			sk.UID, sk.Inode = uint32(num(6)), num(7)
			sk.Timer, sk.TimerTicks = uint8(num(8)), int64(num(9))
			sk.Retrans, sk.Probes = uint32(num(10)), uint32(num(11))
			if pid, name, ok := strings.Cut(f[12], "/"); ok {
				p, _ := strconv.Atoi(pid)
				sk.Owner = &inspect.Process{PID: p, Name: name}
			}
		}
		out = append(out, sk)
	}
	return out
}

func readGolden(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "output", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// renderInet renders the Internet table as netstat does: header, then the
// selected rows.
func renderInet(t testing.TB, socks []inspect.Socket, f Flags, n Names) string {
	t.Helper()
	var b bytes.Buffer
	if err := InetHeader(&b, f); err != nil {
		t.Fatal(err)
	}
	rw := NewRowWriter(&b, f, n)
	for i := range socks {
		if InetSelected(&socks[i], f) {
			if err := rw.Inet(&socks[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.String()
}

// inetPart is the Internet part of a capture (everything before the UNIX table).
func inetPart(s string) string {
	if i := strings.Index(s, "Active UNIX"); i >= 0 {
		return s[:i]
	}
	return s
}

func numeric(f Flags) Flags {
	f.NumericHosts, f.NumericPorts, f.NumericUsers = true, true, true
	return f
}

func TestInetAppendixA(t *testing.T) {
	a1 := loadSockets(t, "a01_sockets.txt")
	cases := []struct {
		name    string
		sockets []inspect.Socket
		flags   Flags
		golden  string
		keep    func(*inspect.Socket) bool
	}{
		{name: "A.1 -a names", sockets: a1, flags: Flags{All: true}, golden: "a01_a_names.golden"},
		{name: "A.2 -an", sockets: a1, flags: numeric(Flags{All: true}), golden: "a02_an.golden"},
		{name: "A.4 -taenpo", sockets: loadSockets(t, "a04_taenpo_sockets.txt"),
			flags: numeric(Flags{All: true, Extend: 1, Programs: true, Timers: true}), golden: "a04_taenpo.golden"},
		{name: "A.6 -tano", sockets: loadSockets(t, "a06_tano_sockets.txt"),
			flags: numeric(Flags{All: true, Timers: true}), golden: "a06_tano.golden"},
		{name: "A.7 -tulpn", sockets: loadSockets(t, "a07_tulpn_sockets.txt"),
			flags: numeric(Flags{Listening: true, Programs: true}), golden: "a07_tulpn.golden"},
		{name: "A.8 -uwaneop", sockets: loadSockets(t, "a08_uwaneop_sockets.txt"),
			flags: numeric(Flags{All: true, Extend: 1, Programs: true, Timers: true}), golden: "a08_uwaneop.golden"},
		{name: "A.9 -Ual", sockets: a1, flags: Flags{All: true, Listening: true}, golden: "a09_Ual.golden",
			keep: func(s *inspect.Socket) bool {
				return s.Proto == inspect.ProtoUDPLite || s.Proto == inspect.ProtoUDPLite6
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			socks := tc.sockets
			if tc.keep != nil {
				socks = nil
				for i := range tc.sockets {
					if tc.keep(&tc.sockets[i]) {
						socks = append(socks, tc.sockets[i])
					}
				}
			}
			got := renderInet(t, socks, tc.flags, scenarioNames())
			want := inetPart(readGolden(t, tc.golden))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestInetSelectionMatchesA7 renders all A.1 sockets with -tl -n and checks
// the result is A.7 without its -p column: selection decides exactly the rows.
func TestInetSelectionMatchesA7(t *testing.T) {
	var socks []inspect.Socket
	for _, s := range loadSockets(t, "a01_sockets.txt") {
		if s.Proto.IsTCP() || s.Proto == inspect.ProtoUDP || s.Proto == inspect.ProtoUDP6 {
			socks = append(socks, s)
		}
	}
	got := renderInet(t, socks, numeric(Flags{Listening: true}), nil)
	var want strings.Builder
	for i, l := range strings.SplitAfter(readGolden(t, "a07_tulpn.golden"), "\n") {
		switch {
		case l == "":
		case i == 0:
			want.WriteString(l)
		default:
			want.WriteString(l[:79] + "\n")
		}
	}
	if diff := cmp.Diff(want.String(), got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestInetSelected(t *testing.T) {
	sock := func(p inspect.Proto, remote string) *inspect.Socket {
		return &inspect.Socket{Proto: p, Remote: netip.MustParseAddrPort(remote)}
	}
	cases := []struct {
		name   string
		s      *inspect.Socket
		server bool
	}{
		{"tcp listener", sock(inspect.ProtoTCP, "0.0.0.0:0"), true},
		{"tcp remote address set, port 0", sock(inspect.ProtoTCP, "192.0.2.1:0"), true},
		{"tcp established", sock(inspect.ProtoTCP, "192.0.2.1:443"), false},
		{"tcp6 listener", sock(inspect.ProtoTCP6, "[::]:0"), true},
		{"udp unconnected", sock(inspect.ProtoUDP, "0.0.0.0:0"), true},
		{"udp remote port without address", sock(inspect.ProtoUDP, "0.0.0.0:53"), true},
		{"udp connected", sock(inspect.ProtoUDP, "192.0.2.1:53"), false},
		{"udp6 unconnected", sock(inspect.ProtoUDP6, "[::]:0"), true},
		{"udp6 v4-mapped any is not null", sock(inspect.ProtoUDP6, "[::ffff:0.0.0.0]:0"), false},
		{"udplite unconnected", sock(inspect.ProtoUDPLite, "0.0.0.0:0"), true},
		{"raw connected, port 0", sock(inspect.ProtoRaw, "192.0.2.2:0"), false},
		{"raw6 unconnected", sock(inspect.ProtoRaw6, "[::]:0"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []struct {
				name  string
				flags Flags
				want  bool
			}{
				{"default", Flags{}, !tc.server},
				{"-l", Flags{Listening: true}, tc.server},
				{"-a", Flags{All: true}, true},
				{"-al", Flags{All: true, Listening: true}, true},
			} {
				if got := InetSelected(tc.s, f.flags); got != f.want {
					t.Errorf("%s: InetSelected = %v, want %v", f.name, got, f.want)
				}
			}
		})
	}
}

func TestInetHeader(t *testing.T) {
	const base = "Proto Recv-Q Send-Q Local Address           Foreign Address         State      "
	cases := []struct {
		name  string
		flags Flags
		want  string
	}{
		{"default", Flags{}, "Active Internet connections (w/o servers)\n" + base + "\n"},
		{"-l", Flags{Listening: true}, "Active Internet connections (only servers)\n" + base + "\n"},
		{"-a", Flags{All: true}, "Active Internet connections (servers and established)\n" + base + "\n"},
		{"-al: -a wins", Flags{All: true, Listening: true}, "Active Internet connections (servers and established)\n" + base + "\n"},
		{"-e", Flags{Extend: 1}, "Active Internet connections (w/o servers)\n" + base + " User       Inode     \n"},
		{"-ee", Flags{Extend: 2}, "Active Internet connections (w/o servers)\n" + base + " User       Inode     \n"},
		{"-p", Flags{Programs: true}, "Active Internet connections (w/o servers)\n" + base + " PID/Program name    \n"},
		{"-o", Flags{Timers: true}, "Active Internet connections (w/o servers)\n" + base + " Timer\n"},
		{"-ep", Flags{Extend: 1, Programs: true}, "Active Internet connections (w/o servers)\n" + base + " User       Inode      PID/Program name    \n"},
		{"-eo", Flags{Extend: 1, Timers: true}, "Active Internet connections (w/o servers)\n" + base + " User       Inode      Timer\n"},
		{"-po", Flags{Programs: true, Timers: true}, "Active Internet connections (w/o servers)\n" + base + " PID/Program name     Timer\n"},
		{"-epo", Flags{Extend: 1, Programs: true, Timers: true},
			"Active Internet connections (w/o servers)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name     Timer\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := InetHeader(&b, tc.flags); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestInetRowCases(t *testing.T) {
	names := scenarioNames()
	ap := netip.MustParseAddrPort
	cases := []struct {
		name  string
		s     inspect.Socket
		flags Flags
		want  string
	}{
		{
			name:  "A.5 SYN_RECV -tanoe",
			s:     inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("10.200.0.1:31337"), Remote: ap("10.200.0.99:40000"), State: inspect.TCPSynRecv, Timer: 1, TimerTicks: 61},
			flags: numeric(Flags{All: true, Timers: true, Extend: 1}),
			want:  "tcp        0      0 10.200.0.1:31337        10.200.0.99:40000       SYN_RECV    0          0          on (0.61/0/0)\n",
		},
		{
			name:  "A.5 SYN_RECV -tae: root, names, inode padded",
			s:     inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("10.200.0.1:31337"), Remote: ap("10.200.0.99:40000"), State: inspect.TCPSynRecv},
			flags: Flags{All: true, Extend: 1},
			want:  "tcp        0      0 a-very-long-hostn:31337 10.200.0.99:40000       SYN_RECV    root       0         \n",
		},
		{
			name:  "user without passwd entry is numeric",
			s:     inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("127.0.0.1:22"), Remote: ap("0.0.0.0:0"), State: inspect.TCPListen, UID: 4242, Inode: 7},
			flags: Flags{All: true, Extend: 1},
			want:  "tcp        0      0 localhost:ssh           0.0.0.0:*               LISTEN      4242       7         \n",
		},
		{
			name:  "long user name widens the column",
			s:     inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("127.0.0.1:22"), Remote: ap("0.0.0.0:0"), State: inspect.TCPListen, UID: 1, Inode: 7},
			flags: numeric(Flags{All: true, Extend: 1}),
			want:  "tcp        0      0 127.0.0.1:22            0.0.0.0:*               LISTEN      1          7         \n",
		},
		{
			name:  "-p with inode 0 is a dash even with an owner",
			s:     inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("127.0.0.1:22"), Remote: ap("127.0.0.1:5"), State: inspect.TCPTimeWait, Owner: &inspect.Process{PID: 1, Name: "init"}},
			flags: numeric(Flags{Programs: true}),
			want:  "tcp        0      0 127.0.0.1:22            127.0.0.1:5             TIME_WAIT   -                   \n",
		},
		{
			name:  "-p name of exactly 19 bytes with pid",
			s:     inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("127.0.0.1:22"), Remote: ap("127.0.0.1:5"), State: inspect.TCPEstablished, Inode: 9, Owner: &inspect.Process{PID: 12345, Name: "abcdefghijklm"}},
			flags: numeric(Flags{Programs: true}),
			want:  "tcp        0      0 127.0.0.1:22            127.0.0.1:5             ESTABLISHED 12345/abcdefghijklm \n",
		},
		{
			name:  "-p empty name",
			s:     inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("127.0.0.1:22"), Remote: ap("127.0.0.1:5"), State: inspect.TCPEstablished, Inode: 9, Owner: &inspect.Process{PID: 77}},
			flags: numeric(Flags{Programs: true}),
			want:  "tcp        0      0 127.0.0.1:22            127.0.0.1:5             ESTABLISHED 77/                 \n",
		},
		{
			name:  "udp unknown state",
			s:     inspect.Socket{Proto: inspect.ProtoUDP, Local: ap("127.0.0.1:53"), Remote: ap("0.0.0.0:0"), State: 2},
			flags: numeric(Flags{All: true}),
			want:  "udp        0      0 127.0.0.1:53            0.0.0.0:*               UNKNOWN    \n",
		},
		{
			name:  "udpl6 proto column",
			s:     inspect.Socket{Proto: inspect.ProtoUDPLite6, Local: ap("[::1]:53"), Remote: ap("[::]:0"), State: 7},
			flags: numeric(Flags{All: true}),
			want:  "udpl6      0      0 ::1:53                  :::*                               \n",
		},
		{
			name:  "tcp state 0 prints nothing",
			s:     inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("127.0.0.1:1"), Remote: ap("127.0.0.1:2")},
			flags: numeric(Flags{All: true}),
			want:  "tcp        0      0 127.0.0.1:1             127.0.0.1:2                        \n",
		},
		{
			name:  "send-q wider than 6 digits widens the line",
			s:     inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("127.0.0.1:1"), Remote: ap("127.0.0.1:2"), State: 1, RecvQ: 12345678, SendQ: 3782145},
			flags: numeric(Flags{All: true}),
			want:  "tcp   12345678 3782145 127.0.0.1:1             127.0.0.1:2             ESTABLISHED\n",
		},
		{
			name:  "first octet 0 is looked up as a network",
			s:     inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("0.1.2.0:22"), Remote: ap("0.0.0.0:0"), State: inspect.TCPListen},
			flags: Flags{All: true},
			want:  "tcp        0      0 zeronet:ssh             0.0.0.0:*               LISTEN     \n",
		},
		{
			name:  "v6 name that contains dots is not cut for a mapped address",
			s:     inspect.Socket{Proto: inspect.ProtoTCP6, Local: ap("[::ffff:192.0.2.7]:22"), Remote: ap("[::]:0"), State: inspect.TCPListen},
			flags: Flags{All: true},
			want:  "tcp6       0      0 mapped.example:ssh      [::]:*                  LISTEN     \n",
		},
	}
	names.networks = map[netip.Addr]string{netip.MustParseAddr("0.1.2.0"): "zeronet"}
	names.hosts[netip.MustParseAddr("::ffff:192.0.2.7")] = "mapped.example"
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteInetRow(&b, &tc.s, tc.flags, names); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestTimerText(t *testing.T) {
	cases := []struct {
		name  string
		proto inspect.Proto
		timer uint8
		ticks int64
		retr  uint32
		probe uint32
		want  string
	}{
		{"tcp off keeps retr", inspect.ProtoTCP, 0, 500, 3, 2, "off (0.00/3/2)"},
		{"tcp on", inspect.ProtoTCP, 1, 16, 4, 0, "on (0.16/4/0)"},
		{"tcp keepalive", inspect.ProtoTCP6, 2, 715805, 0, 0, "keepalive (7158.05/0/0)"},
		{"tcp timewait", inspect.ProtoTCP, 3, 1815, 0, 0, "timewait (18.15/0/0)"},
		{"tcp probe", inspect.ProtoTCP, 4, 1222, 0, 0, "probe (12.22/0/0)"},
		{"tcp unknown", inspect.ProtoTCP, 7, 5, 1, 1, "unkn-7 (0.05/1/1)"},
		{"tcp negative timeout wraps as int", inspect.ProtoTCP, 1, 100, 0, 0xffffffff, "on (1.00/0/-1)"},
		{"udp off retr forced 0", inspect.ProtoUDP, 0, 0, 9, 0, "off (0.00/0/0)"},
		{"udp on1", inspect.ProtoUDP, 1, 250, 9, 0, "on1 (2.50/0/0)"},
		{"udp6 on2", inspect.ProtoUDP6, 2, 1, 0, 0, "on2 (0.01/0/0)"},
		{"raw unknown", inspect.ProtoRaw, 3, 1234, 5, 6, "unkn-3 (12.34/0/6)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &inspect.Socket{Proto: tc.proto, Timer: tc.timer, TimerTicks: tc.ticks, Retrans: tc.retr, Probes: tc.probe}
			if diff := cmp.Diff(tc.want, string(appendTimer(nil, s))); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestWideAppendixA3(t *testing.T) {
	names := scenarioNames()
	ap := netip.MustParseAddrPort
	cases := []struct {
		s     inspect.Socket
		flags Flags
		want  string
	}{
		{inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("10.200.0.1:31337"), Remote: ap("0.0.0.0:0"), State: inspect.TCPListen}, Flags{All: true, Wide: true},
			"tcp        0      0 a-very-long-hostname-for-testing.example.com:31337 0.0.0.0:*               LISTEN     \n"},
		{inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("10.200.0.1:31337"), Remote: ap("10.200.0.1:55392"), State: 1, RecvQ: 128512}, Flags{All: true, Wide: true},
			"tcp   128512      0 a-very-long-hostname-for-testing.example.com:31337 a-very-long-hostname-for-testing.example.com:55392 ESTABLISHED\n"},
		{inspect.Socket{Proto: inspect.ProtoUDP, Local: ap("10.200.0.1:49613"), Remote: ap("10.200.0.2:9999"), State: 1}, Flags{All: true, Wide: true},
			"udp        0      0 a-very-long-hostname-for-testing.example.com:49613 peer:9999               ESTABLISHED\n"},
		{inspect.Socket{Proto: inspect.ProtoRaw, Local: ap("10.200.0.1:17"), Remote: ap("10.200.0.2:0"), State: 1}, Flags{All: true, Wide: true},
			"raw        0      0 a-very-long-hostname-for-testing.example.com:udp peer:*                  1          \n"},
		{inspect.Socket{Proto: inspect.ProtoTCP6, Local: ap("[" + longV6 + "]:12345"), Remote: ap("[::]:0"), State: inspect.TCPListen}, numeric(Flags{All: true, Wide: true}),
			"tcp6       0      0 fd00:1234:5678:9abc:def0:1234:5678:9abc:12345 :::*                    LISTEN     \n"},
	}
	for _, tc := range cases {
		var b bytes.Buffer
		if err := WriteInetRow(&b, &tc.s, tc.flags, names); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, b.String()); diff != "" {
			t.Errorf("(-want +got)\n%s", diff)
		}
	}
}

func BenchmarkWriteInetRow(b *testing.B) {
	socks := loadSockets(b, "a04_taenpo_sockets.txt")
	f := Flags{All: true, Extend: 1, Programs: true, Timers: true}
	names := scenarioNames()
	var out bytes.Buffer
	out.Grow(1 << 20)
	rw := NewRowWriter(&out, f, names)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out.Len() > 1<<19 {
			out.Reset()
		}
		if err := rw.Inet(&socks[i%len(socks)]); err != nil {
			b.Fatal(err)
		}
	}
}
