package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

const (
	ifaceTitle  = "Kernel Interface table\n"
	ifaceHeader = "Iface             MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n"
	ifaceNoStat = "     - no statistics available -"
)

// ErrIfaceLongFormat is returned for -i with -e (ifconfig-style blocks)
// when an interface has no Detail (use inspect.ListInterfacesLong).
var ErrIfaceLongFormat = errors.New("netstat -ie needs interface details")

// WriteInterfaceTitle writes "Kernel Interface table"; netstat prints it
// once, even when -c repeats the table.
func WriteInterfaceTitle(w io.Writer) error {
	_, err := io.WriteString(w, ifaceTitle)
	return err
}

// WriteInterfaces writes the -i column header and one row per interface in
// the given order (inspect.ListInterfaces returns netstat's order). Down
// interfaces are shown only with f.All. With f.Extend > 0 it writes
// netstat -ie's ifconfig-style blocks (no header), which need the Detail of
// inspect.ListInterfacesLong; without it ErrIfaceLongFormat is returned.
func WriteInterfaces(w io.Writer, ifs []inspect.Interface, f Flags) error {
	var b bytes.Buffer
	if f.Extend == 0 {
		b.WriteString(ifaceHeader)
	}
	for i := range ifs {
		it := &ifs[i]
		if it.Flags&inspect.IFFUp == 0 && !f.All {
			continue
		}
		if f.Extend > 0 {
			if it.Detail == nil {
				return ErrIfaceLongFormat
			}
			ifaceLong(&b, it)
			continue
		}
		name := it.Name
		if len(name) > 15 {
			name = name[:15]
		}
		b.WriteString(rtPadR(name, 15) + " " + rtPadL(strconv.Itoa(it.MTU), 5) + " ")
		if s := it.Stats; s != nil {
			u := func(v uint64) string { return strconv.FormatUint(v, 10) }
			b.WriteString(rtPadL(u(s.RxPackets), 8) + " " + rtPadL(u(s.RxErrs), 6) + " " + rtPadL(u(s.RxDrop), 6) + " " +
				rtPadR(u(s.RxFifo), 6) + " ")
			b.WriteString(rtPadL(u(s.TxPackets), 8) + " " + rtPadL(u(s.TxErrs), 6) + " " + rtPadL(u(s.TxDrop), 6) + " " +
				rtPadL(u(s.TxFifo), 6) + " ")
		} else {
			b.WriteString(rtPadR(ifaceNoStat, 56))
		}
		b.WriteString(IfaceFlagLetters(it.Flags))
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// IfaceFlagLetters is the Flg column: "[NO FLAGS]" or letters in net-tools
// 2.10's order, where both PROMISC and POINTOPOINT print "P".
func IfaceFlagLetters(fl inspect.IfFlags) string {
	if fl == 0 {
		return "[NO FLAGS]"
	}
	var s []byte
	for _, l := range []struct {
		bit    inspect.IfFlags
		letter byte
	}{{inspect.IFFAllMulti, 'A'}, {inspect.IFFBroadcast, 'B'}, {inspect.IFFDebug, 'D'}, {inspect.IFFLoopback, 'L'},
		{inspect.IFFMulticast, 'M'}, {inspect.IFFDynamic, 'd'}, {inspect.IFFPromisc, 'P'}, {inspect.IFFNoTrailers, 'N'},
		{inspect.IFFNoARP, 'O'}, {inspect.IFFPointToPt, 'P'}, {inspect.IFFSlave, 's'}, {inspect.IFFMaster, 'm'},
		{inspect.IFFRunning, 'R'}, {inspect.IFFUp, 'U'}} {
		if fl&l.bit != 0 {
			s = append(s, l.letter)
		}
	}
	return string(s)
}

// ifaceLongFlags is net-tools 2.10's if_flags table (SLAVE before MASTER).
var ifaceLongFlags = []struct {
	bit  inspect.IfFlags
	name string
}{
	{inspect.IFFUp, "UP"}, {inspect.IFFBroadcast, "BROADCAST"}, {inspect.IFFDebug, "DEBUG"},
	{inspect.IFFLoopback, "LOOPBACK"}, {inspect.IFFPointToPt, "POINTOPOINT"}, {inspect.IFFNoTrailers, "NOTRAILERS"},
	{inspect.IFFRunning, "RUNNING"}, {inspect.IFFNoARP, "NOARP"}, {inspect.IFFPromisc, "PROMISC"},
	{inspect.IFFAllMulti, "ALLMULTI"}, {inspect.IFFSlave, "SLAVE"}, {inspect.IFFMaster, "MASTER"},
	{inspect.IFFMulticast, "MULTICAST"}, {inspect.IFFDynamic, "DYNAMIC"},
}

// ifaceLong writes one ifconfig-style block (lib/interface.c ife_print_long).
func ifaceLong(b *bytes.Buffer, it *inspect.Interface) {
	d := it.Detail
	var names []string
	for _, l := range ifaceLongFlags {
		if it.Flags&l.bit != 0 {
			names = append(names, l.name)
		}
	}
	// ife->flags is a C short.
	fmt.Fprintf(b, "%s: flags=%d<%s>  mtu %d\n", it.Name, int16(it.Flags), strings.Join(names, ","), it.MTU)
	if d.Addr.IsValid() {
		b.WriteString("        inet " + rtDotted(d.Addr) + "  netmask " + rtDotted(d.Netmask))
		if it.Flags&inspect.IFFBroadcast != 0 {
			b.WriteString("  broadcast " + rtDotted(d.Broadcast))
		}
		if it.Flags&inspect.IFFPointToPt != 0 {
			b.WriteString("  destination " + rtDotted(d.Dest))
		}
		b.WriteByte('\n')
	}
	for _, a := range d.Inet6 {
		fmt.Fprintf(b, "        inet6 %s  prefixlen %d  scopeid 0x%x<%s>\n", rtNtop6(a.Addr), a.PrefixLen, a.Scope, ifaceScopeName(a.Scope))
	}
	switch d.HWType {
	case 1: // ARPHRD_ETHER
		b.WriteString("        ether " + inspect.HWAddr(d.HWAddr[:min(6, len(d.HWAddr))]).String())
	case 772: // ARPHRD_LOOPBACK: no address printer
		b.WriteString("        loop")
	default: // net-tools' "unspec": sizeof(struct sockaddr) bytes, %02X-
		var parts []string
		for i := range 16 {
			var c byte
			if i < len(d.HWAddr) {
				c = d.HWAddr[i]
			}
			parts = append(parts, fmt.Sprintf("%02X", c))
		}
		b.WriteString("        unspec " + strings.Join(parts, "-"))
	}
	if d.TxQueueLen != -1 {
		fmt.Fprintf(b, "  txqueuelen %d", d.TxQueueLen)
	}
	b.WriteString("  (" + ifaceHWTitle(d.HWType) + ")\n")
	if s := it.Stats; s != nil {
		fmt.Fprintf(b, "        RX packets %d  bytes %d (%s)\n", s.RxPackets, s.RxBytes, ifaceHumanBytes(s.RxBytes))
		fmt.Fprintf(b, "        RX errors %d  dropped %d  overruns %d  frame %d\n", s.RxErrs, s.RxDrop, s.RxFifo, s.RxFrame)
		fmt.Fprintf(b, "        TX packets %d  bytes %d (%s)\n", s.TxPackets, s.TxBytes, ifaceHumanBytes(s.TxBytes))
		fmt.Fprintf(b, "        TX errors %d  dropped %d overruns %d  carrier %d  collisions %d\n", s.TxErrs, s.TxDrop, s.TxFifo, s.TxCarrier, s.TxColls)
	}
	if m := d.Map; m.IRQ != 0 || m.MemStart != 0 || m.DMA != 0 || m.BaseAddr >= 0x100 {
		// Not seen on virtual devices; layout from net-tools 2.10, unverified here.
		b.WriteString("        device ")
		if m.IRQ != 0 {
			fmt.Fprintf(b, "interrupt %d  ", m.IRQ)
		}
		if m.BaseAddr >= 0x100 {
			fmt.Fprintf(b, "base 0x%x  ", m.BaseAddr)
		}
		if m.MemStart != 0 {
			fmt.Fprintf(b, "memory 0x%x-%x  ", m.MemStart, m.MemEnd)
		}
		if m.DMA != 0 {
			fmt.Fprintf(b, "  dma 0x%x", m.DMA)
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
}

func ifaceScopeName(scope uint8) string {
	switch scope {
	case 0:
		return "global"
	case 0x10:
		return "host"
	case 0x20:
		return "link"
	case 0x40:
		return "site"
	case 0x80:
		return "compat"
	}
	return "unknown"
}

func ifaceHWTitle(t uint16) string {
	switch t {
	case 1:
		return "Ethernet"
	case 772:
		return "Local Loopback"
	}
	return "UNSPEC"
}

// ifaceHumanBytes is ifconfig's "(177.0 KiB)": tenths, truncated, binary units.
func ifaceHumanBytes(v uint64) string {
	short := v * 10
	unit := "B"
	for _, u := range []struct {
		limit uint64
		name  string
	}{{1 << 50, "PiB"}, {1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if v > u.limit {
			short /= u.limit
			unit = u.name
			break
		}
	}
	return fmt.Sprintf("%d.%d %s", short/10, short%10, unit)
}
