package output

//go:generate go run ../hack/snmptable -in ../hack/snmptable/netstat-snmp-strings.tsv -out snmp_table.go

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// snmpKind is statistics.c's enum State: how a known key prints, and the
// "state" that decides the indentation of what follows.
type snmpKind uint8

const (
	snmpNumber snmpKind = iota
	snmpOptNumber
	snmpForward
	snmpInpICMP
	snmpOutpICMP
	snmpRtoAlg
)

// indent per state, from statistics.c.
var snmpIndent = [...]int{snmpNumber: 4, snmpOptNumber: 4, snmpForward: 4, snmpInpICMP: 8, snmpOutpICMP: 8, snmpRtoAlg: 4}

// snmpSubTitle is printed before the first histogram key of a kind.
var snmpSubTitle = [...]string{snmpInpICMP: "ICMP input histogram:", snmpOutpICMP: "ICMP output histogram:"}

// snmpEntry is one row of a statistics.c table (see snmp_table.go).
type snmpEntry struct {
	key    string
	tmpl   string
	kind   snmpKind
	static bool // I_STATIC: never printed by netstat
	title  bool // I_TITLE: histogram key with a sub-title
	// found is false for keys 2.10's binary search misses because its
	// tables are not sorted; netstat prints those as unknown keys.
	found bool
}

// StatsSelect holds netstat's protocol selectors for -s. With none set,
// every known section is shown (netstat's implicit "all protocols").
type StatsSelect struct {
	TCP     bool // -t: Tcp, TcpExt
	UDP     bool // -u: Udp, Udp6
	UDPLite bool // -U: no known section, but it counts as a selection
	Raw     bool // -w: Ip, Icmp, Ip6, Icmp6
	SCTP    bool // -S: Sctp
}

// enabled reports whether a known section is selected.
func (s StatsSelect) enabled(title string) bool {
	if !s.TCP && !s.UDP && !s.UDPLite && !s.Raw && !s.SCTP {
		return true
	}
	switch title {
	case "Ip", "Icmp", "Ip6", "Icmp6":
		return s.Raw
	case "Tcp", "TcpExt":
		return s.TCP
	case "Udp", "Udp6":
		return s.UDP
	case "Sctp":
		return s.SCTP
	}
	return false
}

// snmpPrinter carries statistics.c's static state across sections and files.
type snmpPrinter struct {
	b     bytes.Buffer
	state snmpKind
	sel   StatsSelect
}

// WriteStats4 writes netstat -s: the sections of /proc/net/snmp then those of
// /proc/net/netstat, in file order (either may be nil when missing).
func WriteStats4(w io.Writer, snmp, netstat []inspect.SnmpSection, sel StatsSelect) error {
	p := &snmpPrinter{sel: sel}
	for _, sec := range snmp {
		p.section(sec)
	}
	for _, sec := range netstat {
		p.section(sec)
	}
	_, err := w.Write(p.b.Bytes())
	return err
}

// WriteStats6 writes netstat -s -6: the sections of /proc/net/snmp6, then
// the Tcp section of /proc/net/snmp (IPv6 has no TCP counters of its own).
func WriteStats6(w io.Writer, snmp6, snmp []inspect.SnmpSection, sel StatsSelect) error {
	p := &snmpPrinter{sel: sel}
	for _, sec := range snmp6 {
		p.section(sec)
	}
	for _, sec := range snmp {
		if sec.Title == "Tcp" {
			p.section(sec)
		}
	}
	_, err := w.Write(p.b.Bytes())
	return err
}

// section prints one section. Known sections print their title only when
// selected but always reset the state; unknown ones always print and keep
// the state they inherit (so IcmpMsg is indented 8 after Icmp's histogram).
func (p *snmpPrinter) section(sec inspect.SnmpSection) {
	tab, known := snmpTables[sec.Title]
	if known {
		p.state = snmpNumber
		if !p.sel.enabled(sec.Title) {
			return
		}
	}
	p.b.WriteString(sec.Title)
	p.b.WriteString(":\n")
	for i, k := range sec.Keys {
		if i < len(sec.Values) {
			p.value(tab, k, sec.Values[i])
		}
	}
}

// value is statistics.c's printval.
func (p *snmpPrinter) value(tab []snmpEntry, key string, v uint64) {
	var ent *snmpEntry
	for i := range tab {
		if tab[i].key == key && tab[i].found {
			ent = &tab[i]
			break
		}
	}
	if ent == nil {
		if v != 0 {
			p.line(snmpIndent[p.state], key+": "+strconv.FormatUint(v, 10))
		}
		return
	}
	if ent.static || ent.tmpl == "" {
		return
	}
	if ent.title && p.state != ent.kind {
		p.line(snmpIndent[p.state], snmpSubTitle[ent.kind])
	}
	text := ""
	switch ent.kind {
	case snmpOptNumber, snmpInpICMP, snmpOutpICMP:
		if v != 0 {
			text = strings.Replace(ent.tmpl, "%llu", strconv.FormatUint(v, 10), 1)
		}
	case snmpNumber:
		text = strings.Replace(ent.tmpl, "%llu", strconv.FormatUint(v, 10), 1)
	}
	if text != "" {
		p.line(snmpIndent[ent.kind], text)
	}
	p.state = ent.kind
}

func (p *snmpPrinter) line(indent int, s string) {
	for range indent {
		p.b.WriteByte(' ')
	}
	p.b.WriteString(s)
	p.b.WriteByte('\n')
}
