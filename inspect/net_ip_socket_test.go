package inspect

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseNetIPSocketFixture(t *testing.T) {
	f, err := os.Open("../testdata/procnet/tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, bad, err := ParseNetIPSocket(f, ProtoTCP, nil)
	if err != nil || bad != 0 {
		t.Fatalf("err %v, bad %d", err, bad)
	}
	want := []Socket{
		{Proto: ProtoTCP, Local: netip.MustParseAddrPort("0.0.0.0:22"), Remote: netip.MustParseAddrPort("0.0.0.0:0"),
			State: TCPListen, RecvQ: 3, Inode: 20931},
		{Proto: ProtoTCP, Local: netip.MustParseAddrPort("127.0.0.1:8080"), Remote: netip.MustParseAddrPort("127.0.0.1:55000"),
			State: TCPEstablished, SendQ: 100, UID: 1000, Inode: 20935, Timer: 1, TimerTicks: 16, Retrans: 4},
		{Proto: ProtoTCP, Local: netip.MustParseAddrPort("127.0.0.1:55000"), Remote: netip.MustParseAddrPort("127.0.0.1:8080"),
			State: TCPTimeWait, Timer: 3, TimerTicks: 6000},
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestParseNetIPSocketV6(t *testing.T) {
	f, err := os.Open("../testdata/procnet/tcp6")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _, err := ParseNetIPSocket(f, ProtoTCP6, nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("err %v, %d rows", err, len(got))
	}
	if a := got[1].Local; a.String() != "[::ffff:127.0.0.1]:443" {
		t.Errorf("v4-mapped local = %s", a)
	}
	if got[1].Timer != 2 || got[1].TimerTicks != 0xAF0B3 {
		t.Errorf("keepalive timer = %d/%d", got[1].Timer, got[1].TimerTicks)
	}
}

func TestParseNetIPSocketLineErrors(t *testing.T) {
	good := "0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 123 1"
	tests := []struct{ name, line string }{
		{"too few fields", "0: 0100007F:0016 00000000:0000 0A"},
		{"local address not hex", strings.Replace(good, "0100007F:0016", "01Z0007F:0016", 1)},
		{"local address odd length", strings.Replace(good, "0100007F:0016", "100007F:0016", 1)},
		{"port not hex", strings.Replace(good, "0100007F:0016", "0100007F:00G6", 1)},
		{"no port", strings.Replace(good, "0100007F:0016", "0100007F", 1)},
		{"state not hex", strings.Replace(good, " 0A ", " ZZ ", 1)},
		{"queues without colon", strings.Replace(good, "00000000:00000000", "0000000000000000", 1)},
		{"timer without colon", strings.Replace(good, "00:00000000", "0000000000", 1)},
		{"retrnsmt not hex", strings.Replace(good, " 00000000 0 0", " XX 0 0", 1)},
		{"uid not decimal", strings.Replace(good, " 0 0 123", " a 0 123", 1)},
		{"inode not decimal", strings.Replace(good, " 123", " 12x", 1)},
	}
	var sk Socket
	if err := parseNetIPSocketLine([]byte(good), ProtoTCP, &sk); err != nil {
		t.Fatalf("good line: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sk Socket
			if err := parseNetIPSocketLine([]byte(tt.line), ProtoTCP, &sk); err == nil {
				t.Errorf("%q parsed without error", tt.line)
			}
		})
	}
}

func TestParseNetIPSocketBogusLinesSkipped(t *testing.T) {
	in := "title\n0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 123\ngarbage\n"
	got, bad, err := ParseNetIPSocket(strings.NewReader(in), ProtoUDP, nil)
	if err != nil || bad != 1 || len(got) != 1 {
		t.Errorf("rows %d bad %d err %v; want 1 row, 1 bogus line", len(got), bad, err)
	}
}

func TestParseNetUnixFixture(t *testing.T) {
	f, err := os.Open("../testdata/procnet/unix")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, bad, err := ParseNetUnix(f, nil)
	if err != nil || bad != 0 || len(got) != 4 {
		t.Fatalf("rows %d bad %d err %v", len(got), bad, err)
	}
	want := []UnixInfo{
		{RefCnt: 2, Flags: UnixAcceptCon, Type: 1, State: UnixUnconnected, Path: "/run/dbus/system_bus_socket"},
		{RefCnt: 2, Type: 2, State: UnixUnconnected, Path: "@abstract@with@nul"},
		{RefCnt: 3, Type: 1, State: UnixConnected},
		// netstat prints a path only up to its first space.
		{RefCnt: 2, Flags: UnixAcceptCon, Type: 5, State: UnixUnconnected, Path: "/tmp/zoo/sock/with"},
	}
	for i := range want {
		if d := cmp.Diff(want[i], *got[i].Unix); d != "" {
			t.Errorf("row %d (-want +got):\n%s", i, d)
		}
	}
	if got[2].Inode != 16336 {
		t.Errorf("inode = %d", got[2].Inode)
	}
}

func TestParseNetUnixNoInodeColumn(t *testing.T) {
	in := "Num       RefCount Protocol Flags    Type St Path\nffff: 00000002 00000000 00010000 0001 01 /x\n"
	got, _, err := ParseNetUnix(strings.NewReader(in), nil)
	if err != nil || len(got) != 1 || !got[0].Unix.NoInode || got[0].Unix.Path != "/x" {
		t.Errorf("got %+v err %v", got, err)
	}
}

func TestParseNetUnixLineErrors(t *testing.T) {
	good := "0000: 00000002 00000000 00010000 0001 01 16334 /p"
	tests := []struct{ name, line string }{
		{"too few fields", "0000: 00000002 00000000 00010000 0001"},
		{"refcount", strings.Replace(good, "00000002", "0000000Z", 1)},
		{"protocol", strings.Replace(good, " 00000000 ", " 0000000Z ", 1)},
		{"flags", strings.Replace(good, "00010000", "0001000Z", 1)},
		{"type", strings.Replace(good, " 0001 ", " 00Z1 ", 1)},
		{"state", strings.Replace(good, " 01 ", " 0Z ", 1)},
		{"inode", strings.Replace(good, "16334", "163x4", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sk Socket
			if err := parseNetUnixLine([]byte(tt.line), true, &sk); err == nil {
				t.Errorf("%q parsed without error", tt.line)
			}
		})
	}
}

func FuzzParseNetIPSocket(f *testing.F) {
	for _, name := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile("../testdata/procnet/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range []Proto{ProtoTCP, ProtoUDP6, ProtoRaw} {
			ParseNetIPSocket(strings.NewReader(string(b)), p, nil)
		}
	})
}

func FuzzParseNetUnix(f *testing.F) {
	b, err := os.ReadFile("../testdata/procnet/unix")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseNetUnix(strings.NewReader(string(b)), nil)
	})
}
