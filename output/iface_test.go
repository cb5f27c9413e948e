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

// ifaceTestList rebuilds the A.24 interface list: /proc/net/dev of the
// fixture plus the vethA:1 label, flags and MTUs as the ioctls gave them.
func ifaceTestList(t *testing.T) []inspect.Interface {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "dev", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dev, err := inspect.ReadNetDev(f)
	if err != nil {
		t.Fatal(err)
	}
	stats := map[string]*inspect.DevStats{}
	for i := range dev {
		stats[dev[i].Name] = &dev[i].Stats
	}
	up := inspect.IFFUp
	bmru := inspect.IFFBroadcast | inspect.IFFMulticast | inspect.IFFRunning | up
	var out []inspect.Interface
	for _, it := range []struct {
		name  string
		mtu   int
		flags inspect.IfFlags
	}{
		{"lo", 65536, inspect.IFFLoopback | inspect.IFFRunning | up},
		{"v2", 1500, inspect.IFFBroadcast | inspect.IFFMulticast | inspect.IFFPromisc | up},
		{"v10", 9000, inspect.IFFBroadcast | inspect.IFFMulticast},
		{"veth-longname15", 1500, bmru},
		{"vethA", 1500, bmru},
		{"vethA:1", 1500, bmru},
		{"vx", 1500, inspect.IFFAllMulti | inspect.IFFNoARP | bmru},
	} {
		out = append(out, inspect.Interface{Name: it.name, MTU: it.mtu, Flags: it.flags, Stats: stats[it.name]})
	}
	return out
}

func TestWriteInterfacesA24(t *testing.T) {
	ifs := ifaceTestList(t)
	var b bytes.Buffer
	for _, all := range []bool{false, true} {
		if err := output.WriteInterfaceTitle(&b); err != nil {
			t.Fatal(err)
		}
		if err := output.WriteInterfaces(&b, ifs, output.Flags{All: all}); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff(rtTestGolden(t, "dev", "A24-i-ia.txt"), b.String()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

// A.30: -c repeats the header but not the title; the capture's counters
// are from another moment than A.24's, so they are set to its values.
func TestWriteInterfacesA30(t *testing.T) {
	ifs := ifaceTestList(t)
	a30 := map[string][2]uint64{"lo": {72, 72}, "vethA": {18, 63}, "vx": {8, 7}}
	for i := range ifs {
		if v, ok := a30[ifs[i].Name]; ok {
			s := *ifs[i].Stats
			s.RxPackets, s.TxPackets = v[0], v[1]
			ifs[i].Stats = &s
		}
	}
	var b bytes.Buffer
	if err := output.WriteInterfaceTitle(&b); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := output.WriteInterfaces(&b, ifs, output.Flags{}); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff(rtTestGolden(t, "dev", "A30-ic.txt"), b.String()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func TestIfaceFlagLetters(t *testing.T) {
	for _, tc := range []struct {
		f    inspect.IfFlags
		want string
	}{
		{0, "[NO FLAGS]"},
		{inspect.IFFPromisc | inspect.IFFPointToPt, "PP"},
		{0xffff, "ABDLMdPNOPsmRU"},
		{inspect.IFFPortSel | inspect.IFFAutoMedia, ""},
	} {
		if got := output.IfaceFlagLetters(tc.f); got != tc.want {
			t.Errorf("%#x: got %q, want %q", uint16(tc.f), got, tc.want)
		}
	}
}

func TestWriteInterfacesCutAndLongFormat(t *testing.T) {
	ifs := []inspect.Interface{{Name: "averyveryverylongname", MTU: 1500, Flags: inspect.IFFUp,
		Stats: &inspect.DevStats{RxPackets: 123456789, RxFifo: 12345678, TxPackets: 1}}}
	var b bytes.Buffer
	if err := output.WriteInterfaces(&b, ifs, output.Flags{}); err != nil {
		t.Fatal(err)
	}
	want := "Iface             MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n" +
		"averyveryverylo  1500 123456789      0      0 12345678        1      0      0      0 U\n"
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if err := output.WriteInterfaces(&b, ifs, output.Flags{Extend: 1}); err != output.ErrIfaceLongFormat {
		t.Errorf("-ie: got %v, want ErrIfaceLongFormat", err)
	}
}

// A.25: the -ie blocks of lo, vethA and the vethA:1 label, rebuilt from the
// capture's values.
func TestWriteInterfacesLongA25(t *testing.T) {
	a := netip.MustParseAddr
	mask24, zero := a("255.255.255.0"), a("0.0.0.0")
	ether := inspect.HWAddr{0xce, 0xdc, 0xe3, 0xab, 0xca, 0xde, 0, 0, 0, 0, 0, 0, 0, 0}
	bmru := inspect.IFFBroadcast | inspect.IFFMulticast | inspect.IFFRunning | inspect.IFFUp
	ifs := []inspect.Interface{
		{Name: "lo", MTU: 65536, Flags: inspect.IFFLoopback | inspect.IFFRunning | inspect.IFFUp,
			Stats: &inspect.DevStats{RxPackets: 72, RxBytes: 181328, TxPackets: 72, TxBytes: 181328},
			Detail: &inspect.IfaceDetail{HWType: 772, HWAddr: make(inspect.HWAddr, 14), TxQueueLen: 1000,
				Addr: a("127.0.0.1"), Netmask: a("255.0.0.0"), Broadcast: zero, Dest: zero,
				Inet6: []inspect.IfInet6{{Addr: a("::1"), PrefixLen: 128, Scope: 0x10, Iface: "lo"}}}},
		{Name: "vethA", MTU: 1500, Flags: bmru,
			Stats: &inspect.DevStats{RxPackets: 18, RxBytes: 1268, TxPackets: 62, TxBytes: 5548},
			Detail: &inspect.IfaceDetail{HWType: 1, HWAddr: ether, TxQueueLen: 1000,
				Addr: a("10.200.0.1"), Netmask: mask24, Broadcast: zero, Dest: zero,
				Inet6: []inspect.IfInet6{
					{Addr: a("fe80::ccdc:e3ff:feab:cade"), PrefixLen: 64, Scope: 0x20, Iface: "vethA"},
					{Addr: a("fd00:1234:5678:9abc:def0:1234:5678:9abc"), PrefixLen: 64, Iface: "vethA"},
					{Addr: a("fd00:200::1"), PrefixLen: 64, Iface: "vethA"},
				}}},
		{Name: "vethA:1", MTU: 1500, Flags: bmru,
			Detail: &inspect.IfaceDetail{HWType: 1, HWAddr: ether, TxQueueLen: 1000,
				Addr: a("10.200.0.5"), Netmask: mask24, Broadcast: zero, Dest: zero}},
	}
	var b bytes.Buffer
	if err := output.WriteInterfaceTitle(&b); err != nil {
		t.Fatal(err)
	}
	if err := output.WriteInterfaces(&b, ifs, output.Flags{Extend: 1}); err != nil {
		t.Fatal(err)
	}
	// The capture stops after vethA:1's ether line; the block ends with a blank line.
	want := rtTestGolden(t, "dev", "A25-ie.txt") + "\n"
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}
