package cmd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
	"github.com/kubectl-netstat/kubectl-netstat/output"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// mode is what the command prints: the routing table (-r), the interfaces
// (-i) or the statistics (-s), at most one as in netstat, else the sockets.
type mode uint8

const (
	modeSockets mode = iota
	modeRoute
	modeInterfaces
	modeStatistics
	modeHelp
	modeVersion
)

// selection is netstat's resolved protocol/family choice for the socket listing.
type selection struct {
	explicit            bool // any explicit table was asked for
	implicit            bool // protocols enabled implicitly by an address family or -s
	inet, inet6, unixAF bool
	tcp, udp, udpl, raw bool
	sctp                bool
	others              []string // families with no tables on Linux (ipx, ax25, …)
	internetHeader      bool
	unixTable           bool
	tcpTables           []inspect.Proto
}

func (o *netstatOptions) complete(cmd *cobra.Command, args []string) error {
	o.targets = args
	if o.agentLines {
		o.Out = wire.NewLineWriter(o.Out)
	}
	if o.programAlias {
		o.programs = true
	}
	o.families = o.pre.families
	if o.inetLong && !contains(o.families, "inet") {
		o.families = append(o.families, "inet")
	}
	if o.inet6Long && !contains(o.families, "inet6") {
		o.families = append(o.families, "inet6")
	}
	for _, f := range o.families {
		if !knownFamily(f) && !contains([]string{"ddp", "ec"}, f) {
			return usagef("%s", kube.Hinted(fmt.Sprintf("unknown address family `%s'; use inet, inet6 or unix", f), o.ko.RawArgs, ""))
		}
	}
	// -c 5 is also spelled "-c" followed by a number in a later position; the pre-pass
	// handles adjacency, and pflag's NoOptDefVal gives plain -c one second.
	f, err := output.ParseFormat(o.outputFormat)
	if err != nil {
		return usagef("%v", err)
	}
	o.format = f
	o.flags = output.Flags{
		All:          o.all,
		Listening:    o.listening && !o.all,
		NumericHosts: o.numeric || o.numericHosts,
		NumericPorts: o.numeric || o.numericPorts,
		NumericUsers: o.numeric || o.numericUsers,
		Programs:     o.programs,
		Extend:       o.extend,
		Timers:       o.timers,
		Wide:         o.wide,
		Verbose:      o.verbose,
	}
	if o.symbolic {
		// -N only affects routing names; netstat treats it like numeric hosts there.
		o.flags.NumericHosts = o.flags.NumericHosts || o.route
	}
	o.mode = modeSockets
	n := 0
	for _, m := range []struct {
		on bool
		m  mode
	}{{o.interfaces, modeInterfaces}, {o.route, modeRoute}, {o.statistics, modeStatistics}, {o.masquerade, modeSockets}} {
		if m.on {
			n++
			o.mode = m.m
		}
	}
	if n > 1 {
		return usagef("-i, -r, -s and -M are mutually exclusive; choose one")
	}
	if o.help {
		o.mode = modeHelp
	}
	if o.showVersion {
		o.mode = modeVersion
	}
	o.sel = o.resolveSelection()
	fs, err := newFS(o.procRoot, o.hostRoot)
	if err != nil && o.nodeLocal {
		return err
	}
	if err != nil {
		// No /proc on this client: only the exec path's temporary tree is read.
		fs = inspect.FS{ProcRoot: o.procRoot, HostRoot: o.hostRoot}
	}
	o.fs = fs
	return nil
}

// resolveSelection applies netstat's protocol rules: an address family or
// -s without a protocol letter enables every protocol implicitly; a protocol
// letter without a family selects inet and inet6; the tables then
// follow netstat's order (tcp, udp, udplite, raw, each v4 then v6; unix).
func (o *netstatOptions) resolveSelection() selection {
	s := selection{tcp: o.tcp, udp: o.udp, udpl: o.udpLite, raw: o.raw, sctp: o.sctp}
	for _, f := range o.families {
		switch f {
		case "inet":
			s.inet = true
		case "inet6":
			s.inet6 = true
		case "unix":
			s.unixAF = true
		default:
			s.others = append(s.others, f)
		}
	}
	anyProto := s.tcp || s.udp || s.udpl || s.raw || s.sctp
	if (s.inet || s.inet6 || o.statistics) && !anyProto {
		s.tcp, s.udp, s.udpl, s.raw, s.sctp = true, true, true, true, true
		s.implicit = true
		anyProto = true
	}
	if (anyProto || o.groups) && !s.inet && !s.inet6 {
		s.inet, s.inet6 = true, true
	}
	s.explicit = anyProto || s.unixAF || o.groups || len(s.others) > 0
	all := !s.explicit
	s.internetHeader = all || anyProto
	v4, v6 := s.inet || all, s.inet6 || all
	add := func(on bool, p4, p6 inspect.Proto) {
		if !(on || all) {
			return
		}
		if v4 {
			s.tcpTables = append(s.tcpTables, p4)
		}
		if v6 {
			s.tcpTables = append(s.tcpTables, p6)
		}
	}
	add(s.tcp, inspect.ProtoTCP, inspect.ProtoTCP6)
	add(s.udp, inspect.ProtoUDP, inspect.ProtoUDP6)
	add(s.udpl, inspect.ProtoUDPLite, inspect.ProtoUDPLite6)
	add(s.raw, inspect.ProtoRaw, inspect.ProtoRaw6)
	s.unixTable = all || s.unixAF
	return s
}

func (o *netstatOptions) validate() error {
	if err := o.peer.validate(); err != nil {
		return err
	}
	if err := o.checkPlatform(); err != nil {
		return err
	}
	if o.cmdFlags != nil && o.cmdFlags.Changed("continuous") && (o.continuous < 1 || o.continuous > maxSeconds) {
		return badSeconds("--continuous", strconv.Itoa(o.continuous))
	}
	if o.groups {
		return usagef("-g (multicast group memberships) is not supported; use 'ip maddr show'")
	}
	if o.selinux {
		return &exitError{code: exitProblem, msg: "SELinux is not enabled on this machine."}
	}
	if o.mode == modeStatistics {
		for _, f := range o.families {
			if f != "inet" && f != "inet6" {
				return &exitError{code: exitProblem, msg: "No statistics support for specified address family: " + f}
			}
		}
	}
	if o.mode == modeRoute {
		for _, f := range o.families {
			if f != "inet" && f != "inet6" {
				return usagef("No routing for address family `%s'.", f)
			}
		}
	}
	if err := o.contradictions(); err != nil {
		return err
	}
	if o.ko.Container != "" && len(o.targets) == 0 && o.ko.Selector == "" && !o.ko.AllNamespaces && o.ko.Node == "" {
		return usagef("--container needs a pod target: kubectl-netstat POD --container %s", o.ko.Container)
	}
	for _, t := range o.targets {
		if strings.HasPrefix(t, "-") {
			return usagef("unexpected argument %q", t)
		}
		if err := checkTarget(t); err != nil {
			if h := kube.HabitHint(o.ko.RawArgs, t); h != "" {
				return usagef("%v; hint: %s", err, h)
			}
			return err
		}
	}
	return nil
}

// contradictions rejects flags and targets that ask for two different things,
// rather than silently obeying one of them.
func (o *netstatOptions) contradictions() error {
	if o.allContainers {
		switch {
		case len(o.targets) > 0:
			return usagef("--all-containers shows every namespace on this host, %s names one: give one or the other", strings.Join(o.targets, " "))
		case o.ko.Selector != "" || o.ko.AllNamespaces || o.ko.Node != "":
			return usagef("--all-containers shows this host's namespaces, --selector/--all-namespaces/--node choose pods through the API: give one or the other")
		case o.ko.Container != "":
			return usagef("--all-containers shows every container; to narrow to one, use container/%s (or POD --container %s)", o.ko.Container, o.ko.Container)
		}
	}
	if o.ko.Container != "" && o.mode != modeSockets && o.mode != modeHelp && o.mode != modeVersion {
		return usagef("--container narrows socket rows to one container; -r, -i and -s show the whole network namespace: drop --container")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkTarget rejects targets that cannot name anything, before any lookup:
// an empty one, an unknown kind, an empty name, a PID that is not a number.
func checkTarget(t string) error {
	const kinds = "use POD, pod/NAME, container/NAME-OR-ID, pid/PID or netns/PATH-OR-INODE"
	if strings.TrimSpace(t) == "" {
		return usagef("empty target: %s", kinds)
	}
	kind, arg, ok := strings.Cut(t, "/")
	if !ok {
		return nil // a pod name
	}
	switch kind {
	case "container", "ctr", "netns", "node", "nodes", "no":
	case "pod", "pods", "po":
		if ns, name, two := strings.Cut(arg, "/"); two && (ns == "" || name == "" || strings.Contains(name, "/")) {
			return usagef("target %q: use pod/NAME or pod/NAMESPACE/NAME", t)
		}
	case "pid":
		if pid, err := strconv.Atoi(arg); err != nil || pid <= 0 {
			return usagef("target %q: %q is not a process ID (pid/1234)", t, arg)
		}
	default:
		return usagef("target %q: unknown kind %q: %s", t, kind, kinds)
	}
	if arg == "" {
		return usagef("target %q: empty name: %s", t, kinds)
	}
	return nil
}

// newFS checks --proc-root and --host-root once. The proc root must be a
// procfs: an empty directory or a copied tree would give the live kernel's
// sockets with no processes and misattribute everything.
func newFS(procRoot, hostRoot string) (inspect.FS, error) {
	fs, err := inspect.NewFS(procRoot, hostRoot)
	if err != nil {
		return fs, usagef("%v", err)
	}
	if !inspect.IsProcfs(fs.ProcRoot) {
		return fs, usagef("--proc-root %s: not a procfs mount (mount -t proc proc DIR, or omit the flag)", fs.ProcRoot)
	}
	return fs, nil
}
