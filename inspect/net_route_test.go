package inspect

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const rtTestTitle = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n"

func TestParseRoute4(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		name    string
		in      string
		want    []Route4
		wantErr bool
	}{
		{name: "gateway route", in: rtTestTitle + "eth0\t00000000\t0200C80A\t0003\t0\t0\t100\t00000000\t1400\t65535\t120   \n",
			want: []Route4{{Iface: "eth0", Destination: a("0.0.0.0"), Gateway: a("10.200.0.2"), Genmask: a("0.0.0.0"),
				Flags: RTFUp | RTFGateway, Metric: 100, MSS: 1400, Window: 65535, IRTT: 120}}},
		{name: "signed and unsigned metric", in: rtTestTitle + "*\t00003C0A\t00000000\t0201\t0\t0\t-1\t0000FFFF\t0\t0\t0\n" +
			"*\t00003C0A\t00000000\t0201\t0\t0\t4294967295\t0000FFFF\t0\t0\t0\n",
			want: []Route4{
				{Iface: "*", Destination: a("10.60.0.0"), Gateway: a("0.0.0.0"), Genmask: a("255.255.0.0"), Flags: RTFUp | RTFReject, Metric: -1},
				{Iface: "*", Destination: a("10.60.0.0"), Gateway: a("0.0.0.0"), Genmask: a("255.255.0.0"), Flags: RTFUp | RTFReject, Metric: 4294967295},
			}},
		{name: "reordered columns", in: "Destination Iface Mask Gateway Flags\n0100000A lo FFFFFFFF 00000000 0005\n",
			want: []Route4{{Iface: "lo", Destination: a("10.0.0.1"), Gateway: a("0.0.0.0"), Genmask: a("255.255.255.255"), Flags: RTFUp | RTFHost}}},
		{name: "title only", in: rtTestTitle, want: []Route4{}},
		{name: "title without Mask", in: "Iface\tDestination\tGateway\tFlags\n", wantErr: true},
		{name: "short line", in: rtTestTitle + "eth0\t00000000\t0200C80A\t0003\t0\t0\t0\n", wantErr: true},
		{name: "bad Destination", in: rtTestTitle + "eth0\t0000000G\t0200C80A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", wantErr: true},
		{name: "short Destination", in: rtTestTitle + "eth0\t000000\t0200C80A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", wantErr: true},
		{name: "bad Gateway", in: rtTestTitle + "eth0\t00000000\tzz00C80A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", wantErr: true},
		{name: "bad Flags", in: rtTestTitle + "eth0\t00000000\t0200C80A\tUG\t0\t0\t0\t00000000\t0\t0\t0\n", wantErr: true},
		{name: "bad RefCnt", in: rtTestTitle + "eth0\t00000000\t0200C80A\t0003\tx\t0\t0\t00000000\t0\t0\t0\n", wantErr: true},
		{name: "bad Use", in: rtTestTitle + "eth0\t00000000\t0200C80A\t0003\t0\t1.5\t0\t00000000\t0\t0\t0\n", wantErr: true},
		{name: "bad Metric", in: rtTestTitle + "eth0\t00000000\t0200C80A\t0003\t0\t0\t--1\t00000000\t0\t0\t0\n", wantErr: true},
		{name: "bad Mask", in: rtTestTitle + "eth0\t00000000\t0200C80A\t0003\t0\t0\t0\tFFFFFFFFF\t0\t0\t0\n", wantErr: true},
		{name: "bad MTU", in: rtTestTitle + "eth0\t00000000\t0200C80A\t0003\t0\t0\t0\t00000000\tmtu\t0\t0\n", wantErr: true},
		{name: "bad Window", in: rtTestTitle + "eth0\t00000000\t0200C80A\t0003\t0\t0\t0\t00000000\t0\t0x1\t0\n", wantErr: true},
		{name: "bad IRTT", in: rtTestTitle + "eth0\t00000000\t0200C80A\t0003\t0\t0\t0\t00000000\t0\t0\t-\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRoute4(strings.NewReader(tc.in))
			if tc.wantErr {
				if !errors.Is(err, ErrParse) {
					t.Fatalf("err = %v, want ErrParse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// Issue 11, item 3: a namespace with lo down has an empty /proc/net/route;
// that is no table, not a parse error (netstat prints its header).
func TestParseRoute4Empty(t *testing.T) {
	got, err := parseRoute4(strings.NewReader(""))
	if !errors.Is(err, ErrNoRouteTable) || errors.Is(err, ErrParse) || len(got) != 0 {
		t.Errorf("empty file: %v, %v; want ErrNoRouteTable", got, err)
	}
}

func TestReadRoute4NamesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "route")
	if err := os.WriteFile(p, []byte(rtTestTitle+"eth0\tbad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = ReadRoute4(f)
	if !errors.Is(err, ErrParse) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want ErrParse naming %s line 2", err, p)
	}
}

func TestReadRoute4Fixture(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "testdata", "route", "route"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := ReadRoute4(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 14 || rs[8].Metric != -1294967296 || rs[6].Iface != "veth-longname15" {
		t.Errorf("unexpected fixture parse: %+v", rs)
	}
}

func FuzzParseRoute4(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "route", "route"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(rtTestTitle))
	f.Add([]byte("")) // lo down: no table
	f.Add([]byte("Destination Iface Mask Gateway Flags\n0100000A lo FFFFFFFF 00000000 0005\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rs, err := parseRoute4(bytes.NewReader(in))
		// An empty file is no table at all (a namespace with lo down), not a parse error.
		if err != nil && !errors.Is(err, ErrParse) && !errors.Is(err, ErrNoRouteTable) {
			t.Fatalf("error wraps neither ErrParse nor ErrNoRouteTable: %v", err)
		}
		for _, r := range rs {
			if !r.Destination.Is4() || !r.Gateway.Is4() || !r.Genmask.Is4() {
				t.Fatalf("non-IPv4 address in %+v", r)
			}
		}
	})
}
