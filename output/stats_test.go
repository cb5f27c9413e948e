package output_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

func snmpTestRead(t *testing.T, name string, v6 bool) []inspect.SnmpSection {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "snmp", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ss []inspect.SnmpSection
	if v6 {
		ss, err = inspect.ReadSnmp6(f)
	} else {
		ss, err = inspect.ReadSnmp(f)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

func TestWriteStatsCaptures(t *testing.T) {
	snmp := snmpTestRead(t, "snmp", false)
	netstat := snmpTestRead(t, "netstat", false)
	snmp6 := snmpTestRead(t, "snmp6", true)
	for _, tc := range []struct {
		name, golden string
		v6           bool
		sel          output.StatsSelect
	}{
		{"A26 -s", "A26-s.txt", false, output.StatsSelect{}},
		{"A27 -st", "A27-st.txt", false, output.StatsSelect{TCP: true}},
		{"A28 -s -6", "A28-s6.txt", true, output.StatsSelect{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			var err error
			if tc.v6 {
				err = output.WriteStats6(&b, snmp6, snmp, tc.sel)
			} else {
				err = output.WriteStats4(&b, snmp, netstat, tc.sel)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(rtTestGolden(t, "snmp", tc.golden), b.String()); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// The indent state machine, section by section.
func TestWriteStatsStateMachine(t *testing.T) {
	sec := func(title string, kv ...any) inspect.SnmpSection {
		s := inspect.SnmpSection{Title: title}
		for i := 0; i < len(kv); i += 2 {
			s.Keys = append(s.Keys, kv[i].(string))
			s.Values = append(s.Values, uint64(kv[i+1].(int)))
		}
		return s
	}
	for _, tc := range []struct {
		name string
		in   []inspect.SnmpSection
		sel  output.StatsSelect
		want string
	}{
		{"unknown section inherits histogram indent",
			[]inspect.SnmpSection{sec("Icmp", "OutEchos", 3), sec("Foo", "Bar", 1, "Zero", 0)}, output.StatsSelect{},
			"Icmp:\n    ICMP output histogram:\n        echo requests: 3\nFoo:\n        Bar: 1\n"},
		{"known section resets indent even when not selected",
			[]inspect.SnmpSection{sec("Icmp", "OutEchos", 3), sec("Tcp", "ActiveOpens", 1), sec("Foo", "Bar", 1)}, output.StatsSelect{Raw: true},
			"Icmp:\n    ICMP output histogram:\n        echo requests: 3\nFoo:\n    Bar: 1\n"},
		{"histogram sub-title printed for zero values",
			[]inspect.SnmpSection{sec("Icmp", "InDestUnreachs", 0, "OutEchos", 0)}, output.StatsSelect{},
			"Icmp:\n    ICMP input histogram:\n        ICMP output histogram:\n"},
		{"static and empty templates keep the state",
			[]inspect.SnmpSection{sec("Icmp", "InEchos", 1), sec("Tcp", "RtoAlgorithm", 1, "MaxConn", 5, "X", 2)}, output.StatsSelect{},
			"Icmp:\n    ICMP input histogram:\n        echo requests: 1\nTcp:\n    X: 2\n"},
		{"opt_number zero hidden, number zero shown",
			[]inspect.SnmpSection{sec("Ip", "InHdrErrors", 0, "InDiscards", 0, "FragOKs", 7)}, output.StatsSelect{},
			"Ip:\n    0 incoming packets discarded\n    7 outgoing packets fragmented ok\n"},
		{"bsearch misses print as Key: value",
			[]inspect.SnmpSection{sec("TcpExt", "TCPTimeouts", 4, "TCPSackRecovery", 0, "TW", 1)}, output.StatsSelect{},
			"TcpExt:\n    TCPTimeouts: 4\n    1 TCP sockets finished time wait in fast timer\n"},
		{"udp selector",
			[]inspect.SnmpSection{sec("Ip", "InReceives", 1), sec("Udp", "InDatagrams", 2), sec("UdpLite")}, output.StatsSelect{UDP: true},
			"Udp:\n    2 packets received\nUdpLite:\n"},
		{"udplite selector selects no known section",
			[]inspect.SnmpSection{sec("Ip", "InReceives", 1), sec("UdpLite")}, output.StatsSelect{UDPLite: true},
			"UdpLite:\n"},
		{"raw selector",
			[]inspect.SnmpSection{sec("Ip", "InReceives", 1), sec("Tcp", "ActiveOpens", 2)}, output.StatsSelect{Raw: true},
			"Ip:\n    1 total packets received\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := output.WriteStats4(&b, tc.in, nil, tc.sel); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, b.String()); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// Icmp6OutRouterAdvertisements has a trailing space in statistics.c and never matches.
func TestWriteStats6TrailingSpaceKey(t *testing.T) {
	in := []inspect.SnmpSection{{Title: "Icmp6", Keys: []string{"Icmp6OutRouterAdvertisements", "Icmp6InRouterAdvertisements"}, Values: []uint64{5, 6}}}
	var b bytes.Buffer
	if err := output.WriteStats6(&b, in, nil, output.StatsSelect{}); err != nil {
		t.Fatal(err)
	}
	want := "Icmp6:\n    Icmp6OutRouterAdvertisements: 5\n    ICMP input histogram:\n        router advertisement: 6\n"
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}
