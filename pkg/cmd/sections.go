package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"os"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

// routeFamilies is the -r family list in command-line order; inet by default.
func (o *netstatOptions) routeFamilies() []string {
	if len(o.families) == 0 {
		return []string{"inet"}
	}
	return o.families
}

func closeAll(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

func (o *netstatOptions) printRoutes(w *bufio.Writer, sc *viewSet, v *nsView, out *collected) error {
	r := v.r
	for _, fam := range o.routeFamilies() {
		name := "route"
		if fam == "inet6" {
			name = "ipv6_route"
		}
		files, err := r.ProcNet(name)
		if err != nil {
			return o.nsErr(v, err)
		}
		f := files[0]
		if f == nil {
			return o.nsErr(v, fmt.Errorf("/proc/net/%s: %w", name, inspect.ErrNotFound))
		}
		if fam == "inet6" {
			rs, err := inspect.ReadRoute6(f)
			f.Close()
			if err != nil {
				return o.nsErr(v, err)
			}
			if o.format.IsJSON() {
				for i := range rs {
					rec := output.NewRoute6Record(&rs[i], v.netns, v.attributed())
					rec.Time = o.stamp
					out.records = append(out.records, rec)
				}
				continue
			}
			if err := output.WriteRoutes6(w, rs, o.flags, o.cache, sc.names); err != nil {
				return err
			}
			continue
		}
		rs, err := inspect.ReadRoute4(f)
		f.Close()
		var noTable error
		if errors.Is(err, inspect.ErrNoRouteTable) {
			// netstat prints the header and exits 1 without a word; in a
			// multi-namespace listing the other namespaces still follow.
			err = nil
			if !sc.multi(o) {
				noTable = errSilent()
			}
		}
		if err != nil {
			return o.nsErr(v, err)
		}
		if o.format.IsJSON() {
			for i := range rs {
				rec := output.NewRoute4Record(&rs[i], v.netns, v.attributed())
				rec.Time = o.stamp
				out.records = append(out.records, rec)
			}
			continue
		}
		// -F (the default) prints the FIB, -C the route cache, both together print both.
		if !o.cache || o.fib {
			if err := output.WriteRoutes4(w, rs, o.flags, o.extend, sc.names); err != nil {
				return err
			}
		}
		if o.cache {
			if err := output.WriteRouteCache4(w, o.extend); err != nil {
				return err
			}
		}
		if noTable != nil {
			return noTable
		}
	}
	return nil
}

func (o *netstatOptions) printInterfaces(w *bufio.Writer, sc *viewSet, v *nsView, iter int, out *collected) error {
	r := v.r
	files, err := r.ProcNet("dev")
	if err != nil {
		return o.nsErr(v, err)
	}
	var dev []inspect.NetDev
	if files[0] != nil {
		dev, err = inspect.ReadNetDev(files[0])
		files[0].Close()
		if err != nil {
			return o.nsErr(v, err)
		}
	}
	fd, err := r.InetSocket()
	if err != nil {
		return o.nsErr(v, err)
	}
	var ifs []inspect.Interface
	if o.flags.Extend > 0 && !o.format.IsJSON() {
		// -ie prints ifconfig-style blocks, which also list IPv6 addresses.
		var in6 []inspect.IfInet6
		// No if_inet6 (IPv6 off) is no IPv6 address, not an error.
		if in6f, ferr := r.ProcNet("if_inet6"); ferr == nil && in6f[0] != nil {
			in6, err = inspect.ReadIfInet6(in6f[0])
			in6f[0].Close()
			if err != nil {
				inspect.CloseSocket(fd)
				return o.nsErr(v, err)
			}
		}
		ifs, err = inspect.ListInterfacesLong(fd, dev, in6)
	} else {
		ifs, err = inspect.ListInterfaces(fd, dev)
	}
	inspect.CloseSocket(fd)
	if err != nil {
		// netstat prints the interfaces it read before the one that vanished.
		if o.format == output.FormatText && iter == 0 {
			output.WriteInterfaceTitle(w)
		}
		if o.format == output.FormatText {
			output.WriteInterfaces(w, ifs, o.flags)
		}
		return o.nsErr(v, err)
	}
	if o.format.IsJSON() {
		for i := range ifs {
			if !o.flags.All && ifs[i].Flags&1 == 0 {
				continue
			}
			rec := output.NewInterfaceRecord(&ifs[i], v.netns, v.attributed())
			rec.Time = o.stamp
			out.records = append(out.records, rec)
		}
		return nil
	}
	// netstat prints the title once, even under -c.
	if iter == 0 {
		if err := output.WriteInterfaceTitle(w); err != nil {
			return err
		}
	}
	return output.WriteInterfaces(w, ifs, o.flags)
}

func (o *netstatOptions) printStatistics(w *bufio.Writer, sc *viewSet, v *nsView, out *collected) error {
	r := v.r
	sel := output.StatsSelect{TCP: o.tcp, UDP: o.udp, UDPLite: o.udpLite, Raw: o.raw, SCTP: o.sctp}
	v6 := o.sel.inet6 && !o.sel.inet
	files, err := r.ProcNet("snmp", "netstat", "snmp6")
	if err != nil {
		return o.nsErr(v, err)
	}
	defer closeAll(files)
	var snmp, netstat, snmp6 []inspect.SnmpSection
	if files[0] != nil {
		if snmp, err = inspect.ReadSnmp(files[0]); err != nil {
			return o.nsErr(v, err)
		}
	}
	if files[1] != nil && !v6 {
		if netstat, err = inspect.ReadSnmp(files[1]); err != nil {
			return o.nsErr(v, err)
		}
	}
	if files[2] != nil && v6 {
		if snmp6, err = inspect.ReadSnmp6(files[2]); err != nil {
			return o.nsErr(v, err)
		}
	}
	if o.format.IsJSON() {
		secs := append(append(snmp, netstat...), snmp6...)
		out.records = append(out.records, output.NewStatsRecord(secs, v.netns, v.attributed()))
		return nil
	}
	if v6 {
		return output.WriteStats6(w, snmp6, snmp, sel)
	}
	return output.WriteStats4(w, snmp, netstat, sel)
}

// attributed is the container the namespace is attributed to (its
// Netns.Attributed), for route, interface and statistics records.
func (v *nsView) attributed() *inspect.Container {
	if v.netns == nil {
		return nil
	}
	return v.netns.Attributed
}
