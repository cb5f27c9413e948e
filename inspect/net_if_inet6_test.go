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

func TestParseIfInet6(t *testing.T) {
	good := []string{"fe80000000000000ccdce3fffeabcade", "0a", "40", "20", "80", "vethA"}
	with := func(i int, v string) string {
		f := append([]string(nil), good...)
		f[i] = v
		return strings.Join(f, " ") + "\n"
	}
	for _, tc := range []struct {
		name    string
		in      string
		want    []IfInet6
		wantErr bool
	}{
		{name: "address", in: with(0, good[0]), want: []IfInet6{{Addr: netip.MustParseAddr("fe80::ccdc:e3ff:feab:cade"),
			Index: 10, PrefixLen: 64, Scope: 0x20, Flags: 0x80, Iface: "vethA"}}},
		{name: "empty", in: "", want: []IfInet6{}},
		{name: "five fields", in: strings.Join(good[:5], " ") + "\n", wantErr: true},
		{name: "bad address", in: with(0, "fe80"), wantErr: true},
		{name: "bad ifindex", in: with(1, "g"), wantErr: true},
		{name: "bad prefix length", in: with(2, "x"), wantErr: true},
		{name: "prefix length over 128", in: with(2, "81"), wantErr: true},
		{name: "bad scope", in: with(3, "100"), wantErr: true},
		{name: "bad flags", in: with(4, "-1"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseIfInet6(strings.NewReader(tc.in))
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

func FuzzParseIfInet6(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "dev", "if_inet6"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		as, err := parseIfInet6(bytes.NewReader(in))
		if err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("error does not wrap ErrParse: %v", err)
		}
		for _, a := range as {
			if !a.Addr.Is6() || a.PrefixLen > 128 {
				t.Fatalf("bad entry %+v", a)
			}
		}
	})
}
