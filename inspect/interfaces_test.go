package inspect

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNstrcmpOrder(t *testing.T) {
	want := []string{"lo", "v2", "v10", "veth-longname15", "vethA", "vethA:1", "vx"}
	for i := range want {
		for j := range want {
			got := nstrcmp(want[i], want[j])
			switch {
			case i < j && got >= 0, i > j && got <= 0, i == j && got != 0:
				t.Errorf("nstrcmp(%q, %q) = %d", want[i], want[j], got)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		in := append([]string(nil), want...)
		r.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		if d := cmp.Diff(want, mergeInterfaceNames(in)); d != "" {
			t.Errorf("merge of %q (-want +got)\n%s", in, d)
		}
	}
}

func TestNstrcmpCases(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"eth1", "eth10", -1},
		{"eth10", "eth9", 1},
		{"eth01", "eth1", -1}, // same number, then strcmp
		{"eth0:10", "eth0:9", 1},
		{"eth0:1", "eth0", 1},
		{"eth0", "eth0:1", -1},
		{"eth0:01", "eth0:1", -1}, // same alias number, then strcmp of aliases
		{"a", "b", -1},
		{"123", "45", 1}, // all digits: empty prefixes, then numbers
		{"", "", 0},
		{"x:", "x", 1}, // ":" without digits is not an alias
	} {
		if got := nstrcmp(tc.a, tc.b); sign(got) != tc.want {
			t.Errorf("nstrcmp(%q, %q) = %d, want sign %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

type ifTestFetcher struct {
	lbls []string
	flg  map[string]IfFlags
	mtus map[string]int
}

func (f ifTestFetcher) labels() ([]string, error) { return f.lbls, nil }
func (f ifTestFetcher) flags(n string) (IfFlags, error) {
	if fl, ok := f.flg[n]; ok {
		return fl, nil
	}
	return 0, errIfVanished{}
}
func (f ifTestFetcher) mtu(n string) (int, error) {
	if m, ok := f.mtus[n]; ok {
		return m, nil
	}
	return 0, errors.New("no mtu")
}

func TestListInterfaces(t *testing.T) {
	dev := []NetDev{{Name: "lo", Stats: DevStats{RxPackets: 1}}, {Name: "vethA", Stats: DevStats{RxPackets: 2}}, {Name: "v10"}, {Name: "v2"}}
	fe := ifTestFetcher{
		lbls: []string{"lo", "vethA", "vethA:1", "v2"},
		flg:  map[string]IfFlags{"lo": IFFUp | IFFLoopback, "vethA": IFFUp, "vethA:1": IFFUp, "v2": 0, "v10": IFFBroadcast},
		mtus: map[string]int{"lo": 65536, "vethA": 1500, "vethA:1": 1500, "v2": 1500},
	}
	got, err := listInterfaces(fe, dev)
	if err != nil {
		t.Fatal(err)
	}
	want := []Interface{
		{Name: "lo", MTU: 65536, Flags: IFFUp | IFFLoopback, Stats: &DevStats{RxPackets: 1}},
		{Name: "v2", MTU: 1500, Flags: 0, Stats: &DevStats{}},
		{Name: "v10", MTU: 0, Flags: IFFBroadcast, Stats: &DevStats{}}, // SIOCGIFMTU failure shows 0
		{Name: "vethA", MTU: 1500, Flags: IFFUp, Stats: &DevStats{RxPackets: 2}},
		{Name: "vethA:1", MTU: 1500, Flags: IFFUp},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}

	// A name that vanished stops the list with netstat's message.
	delete(fe.flg, "vethA")
	got, err = listInterfaces(fe, dev)
	if !errors.Is(err, ErrNotFound) || err.Error() != "vethA: error fetching interface information: Device not found" {
		t.Errorf("err = %v", err)
	}
	if len(got) != 3 {
		t.Errorf("got %d interfaces before the failure, want 3", len(got))
	}
}

func TestIfFlagsString(t *testing.T) {
	if got := (IFFUp | IFFBroadcast | IFFRunning | IFFMulticast).String(); got != "UP|BROADCAST|RUNNING|MULTICAST" {
		t.Errorf("got %q", got)
	}
	if got := RouteFlags(0x80000203).String(); got != "UP|GATEWAY|REJECT|LOCAL" {
		t.Errorf("got %q", got)
	}
	if got := RouteFlags(0x8000).String(); got != "0x8000" {
		t.Errorf("got %q", got)
	}
}
