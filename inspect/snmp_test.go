package inspect

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSnmp(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    []SnmpSection
		wantErr bool
	}{
		{name: "two sections", in: "Tcp: RtoAlgorithm MaxConn ActiveOpens\nTcp: 1 -1 15\nUdpLite: InDatagrams\nUdpLite: 0\n",
			want: []SnmpSection{
				{Title: "Tcp", Keys: []string{"RtoAlgorithm", "MaxConn", "ActiveOpens"}, Values: []uint64{1, math.MaxUint64, 15}},
				{Title: "UdpLite", Keys: []string{"InDatagrams"}, Values: []uint64{0}},
			}},
		{name: "leading blank line", in: "\nIp: Forwarding\nIp: 2\n",
			want: []SnmpSection{{Title: "Ip", Keys: []string{"Forwarding"}, Values: []uint64{2}}}},
		{name: "empty section", in: "MPTcpExt:\nMPTcpExt:\n", want: []SnmpSection{{Title: "MPTcpExt", Keys: []string{}, Values: []uint64{}}}},
		{name: "overflow saturates", in: "X: A\nX: 99999999999999999999999\n",
			want: []SnmpSection{{Title: "X", Keys: []string{"A"}, Values: []uint64{math.MaxUint64}}}},
		{name: "empty", in: "", want: []SnmpSection{}},
		{name: "key line without colon", in: "Ip Forwarding\nIp: 2\n", wantErr: true},
		{name: "value line without colon", in: "Ip: Forwarding\nIp 2\n", wantErr: true},
		{name: "missing value line", in: "Ip: Forwarding\n", wantErr: true},
		{name: "title mismatch", in: "Ip: Forwarding\nTcp: 2\n", wantErr: true},
		{name: "empty title", in: ": Forwarding\n: 2\n", wantErr: true},
		{name: "title with space", in: "I p: Forwarding\nI p: 2\n", wantErr: true},
		{name: "fewer values", in: "Ip: Forwarding DefaultTTL\nIp: 2\n", wantErr: true},
		{name: "more values", in: "Ip: Forwarding\nIp: 2 64\n", wantErr: true},
		{name: "bad value", in: "Ip: Forwarding DefaultTTL\nIp: 2 x64\n", wantErr: true},
		{name: "lone minus", in: "Ip: Forwarding\nIp: -\n", wantErr: true},
		{name: "double sign", in: "Ip: Forwarding\nIp: +-1\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSnmp(strings.NewReader(tc.in))
			if tc.wantErr {
				if !errors.Is(err, ErrParse) {
					t.Fatalf("err = %v, want ErrParse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestParseSnmp6(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    []SnmpSection
		wantErr bool
	}{
		{name: "sections by prefix", in: "Ip6InReceives   \t1\nIp6OutRequests 2\nIcmp6InMsgs 3\nIcmp6InType1 4\nUdp6InDatagrams 5\nUdpLite6InDatagrams 0\n",
			want: []SnmpSection{
				{Title: "Ip6", Keys: []string{"Ip6InReceives", "Ip6OutRequests"}, Values: []uint64{1, 2}},
				{Title: "Icmp6", Keys: []string{"Icmp6InMsgs", "Icmp6InType1"}, Values: []uint64{3, 4}},
				{Title: "Udp6", Keys: []string{"Udp6InDatagrams"}, Values: []uint64{5}},
				{Title: "UdpLite6", Keys: []string{"UdpLite6InDatagrams"}, Values: []uint64{0}},
			}},
		{name: "key without 6", in: "Foo 1\n", want: []SnmpSection{{Title: "Foo", Keys: []string{"Foo"}, Values: []uint64{1}}}},
		{name: "empty", in: "", want: []SnmpSection{}},
		{name: "one field", in: "Ip6InReceives\n", wantErr: true},
		{name: "three fields", in: "Ip6InReceives 1 2\n", wantErr: true},
		{name: "bad value", in: "Ip6InReceives one\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSnmp6(strings.NewReader(tc.in))
			if tc.wantErr {
				if !errors.Is(err, ErrParse) {
					t.Fatalf("err = %v, want ErrParse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func snmpFuzzSeeds(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "snmp", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseSnmp(f *testing.F) {
	snmpFuzzSeeds(f, "snmp", "netstat")
	f.Fuzz(func(t *testing.T, in []byte) {
		ss, err := parseSnmp(bytes.NewReader(in))
		if err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("error does not wrap ErrParse: %v", err)
		}
		for _, s := range ss {
			if len(s.Keys) != len(s.Values) {
				t.Fatalf("section %s: %d keys, %d values", s.Title, len(s.Keys), len(s.Values))
			}
		}
	})
}

func FuzzParseSnmp6(f *testing.F) {
	snmpFuzzSeeds(f, "snmp6")
	f.Fuzz(func(t *testing.T, in []byte) {
		ss, err := parseSnmp6(bytes.NewReader(in))
		if err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("error does not wrap ErrParse: %v", err)
		}
		for _, s := range ss {
			if len(s.Keys) != len(s.Values) || len(s.Keys) == 0 {
				t.Fatalf("section %s: %d keys, %d values", s.Title, len(s.Keys), len(s.Values))
			}
		}
	})
}
