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

func TestParseRoute6(t *testing.T) {
	a := netip.MustParseAddr
	const z = "00000000000000000000000000000000"
	line := func(fields ...string) string { return strings.Join(fields, " ") + "\n" }
	good := []string{"20010db8000000000000000000000000", "20", z, "00", "fe800000000000000000000000000001", "ffffffff", "00000002", "0000000a", "00200203", "    eth0"}
	with := func(i int, v string) string {
		f := append([]string(nil), good...)
		f[i] = v
		return line(f...)
	}
	for _, tc := range []struct {
		name    string
		in      string
		want    []Route6
		wantErr bool
	}{
		{name: "route", in: line(good...), want: []Route6{{Destination: a("2001:db8::"), DstLen: 32, Source: a("::"),
			NextHop: a("fe80::1"), Metric: 0xffffffff, RefCnt: 2, Use: 10, Flags: RTFUp | RTFGateway | RTFReject | RTFNoNextHop, Iface: "eth0"}}},
		{name: "empty", in: "", want: []Route6{}},
		{name: "too few fields", in: line(good[:9]...), wantErr: true},
		{name: "too many fields", in: line(append(good, "x")...), wantErr: true},
		{name: "bad destination", in: with(0, "20010db800000000000000000000000g"), wantErr: true},
		{name: "short destination", in: with(0, "20010db8"), wantErr: true},
		{name: "bad destination length", in: with(1, "zz"), wantErr: true},
		{name: "destination length over 128", in: with(1, "81"), wantErr: true},
		{name: "bad source", in: with(2, "x"), wantErr: true},
		{name: "bad source length", in: with(3, "-1"), wantErr: true},
		{name: "bad next hop", in: with(4, z+"00"), wantErr: true},
		{name: "bad metric", in: with(5, "1ffffffff"), wantErr: true},
		{name: "bad refcnt", in: with(6, "-2"), wantErr: true},
		{name: "bad use", in: with(7, "u"), wantErr: true},
		{name: "bad flags", in: with(8, "0x1"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRoute6(strings.NewReader(tc.in))
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

func FuzzParseRoute6(f *testing.F) {
	for _, n := range []string{"ipv6_route", "ipv6_route_cache"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "route", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rs, err := parseRoute6(bytes.NewReader(in))
		if err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("error does not wrap ErrParse: %v", err)
		}
		for _, r := range rs {
			if !r.Destination.Is6() || r.DstLen > 128 || r.SrcLen > 128 {
				t.Fatalf("bad route %+v", r)
			}
		}
	})
}
