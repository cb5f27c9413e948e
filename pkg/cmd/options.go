package cmd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
	"github.com/kubectl-netstat/kubectl-netstat/output"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// netstatOptions holds every flag of the main command and what Complete derives from them.
type netstatOptions struct {
	genericiooptions.IOStreams

	// netstat selection flags.
	tcp, udp, udpLite, raw, unix, sctp bool
	route, interfaces, statistics      bool
	masquerade, groups, cache, fib     bool
	protocols                          []string
	inetLong, inet6Long                bool
	ignoredD, selinux, symbolic        bool
	help, showVersion                  bool

	// display flags.
	all, listening, numeric                  bool
	numericHosts, numericPorts, numericUsers bool
	programs, programAlias, timers, wide     bool
	verbose                                  bool
	extend                                   int
	continuous                               int

	// kubectl-netstat flags.
	outputFormat  string
	hostRoot      string
	procRoot      string
	allContainers bool
	procOnly      bool
	// agentLines wraps text output as {"line": …} NDJSON: how an agent pod
	// sends netstat's text back through its log.
	agentLines bool

	// nodeLocal: this build can read its own machine (Linux); tests clear it
	// to check what a macOS or Windows client does.
	nodeLocal bool

	// ko holds the Kubernetes flags (--namespace, --context, --container, …).
	ko *kube.Options
	// peer is --resolve (peers.go).
	peer peerOptions

	// Derived by Complete.
	pre       preArgs
	targets   []string
	fs        inspect.FS
	format    output.Format
	formatErr error
	families  []string
	flags     output.Flags
	mode      mode
	modes     int // how many of -i, -r, -s, -M were given
	sel       selection
	// continuousSet: -c/--continuous was typed (its value is checked).
	continuousSet bool
	// stamp is the RFC 3339 time of the current -c refresh in JSON output.
	stamp string
}

func newNetstatOptions(streams genericiooptions.IOStreams) *netstatOptions {
	return &netstatOptions{IOStreams: streams, outputFormat: "text", hostRoot: "/", procRoot: "/proc", ko: newKubeOptions(streams), nodeLocal: nodeLocalSupported}
}

// addFlags binds every flag. Single letters are netstat's; everything else is long-only.
func (o *netstatOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVarP(&o.tcp, "tcp", "t", o.tcp, "TCP sockets")
	fs.BoolVarP(&o.udp, "udp", "u", o.udp, "UDP sockets")
	fs.BoolVarP(&o.udpLite, "udplite", "U", o.udpLite, "UDP-Lite sockets")
	fs.BoolVarP(&o.raw, "raw", "w", o.raw, "RAW sockets")
	fs.BoolVarP(&o.unix, "unix", "x", o.unix, "UNIX domain sockets (same as -A unix)")
	fs.BoolVarP(&o.sctp, "sctp", "S", o.sctp, "SCTP sockets")
	fs.BoolVarP(&o.listening, "listening", "l", o.listening, "only listening sockets (servers)")
	fs.BoolVarP(&o.all, "all", "a", o.all, "listening and non-listening sockets")
	fs.BoolVarP(&o.numeric, "numeric", "n", o.numeric, "don't resolve names")
	fs.BoolVar(&o.numericHosts, "numeric-hosts", o.numericHosts, "don't resolve host names")
	fs.BoolVar(&o.numericPorts, "numeric-ports", o.numericPorts, "don't resolve port names")
	fs.BoolVar(&o.numericUsers, "numeric-users", o.numericUsers, "don't resolve user names")
	fs.BoolVarP(&o.symbolic, "symbolic", "N", o.symbolic, "resolve hardware names")
	fs.BoolVarP(&o.programs, "programs", "p", o.programs, "show PID/Program name for sockets")
	fs.BoolVar(&o.programAlias, "program", o.programAlias, "same as --programs")
	fs.CountVarP(&o.extend, "extend", "e", "display other/more information (twice: more)")
	fs.BoolVarP(&o.timers, "timers", "o", o.timers, "display timers (-o FORMAT selects an output format instead)")
	fs.BoolVarP(&o.wide, "wide", "W", o.wide, "don't truncate IP addresses")
	fs.IntVarP(&o.continuous, "continuous", "c", 0, "continuous listing every SECONDS (default 1)")
	fs.Lookup("continuous").NoOptDefVal = "1"
	fs.BoolVarP(&o.route, "route", "r", o.route, "display routing table")
	fs.BoolVarP(&o.interfaces, "interfaces", "i", o.interfaces, "display interface table")
	fs.BoolVarP(&o.statistics, "statistics", "s", o.statistics, "display networking statistics (like SNMP)")
	fs.BoolVarP(&o.masquerade, "masquerade", "M", o.masquerade, "display masqueraded connections")
	fs.BoolVarP(&o.groups, "groups", "g", o.groups, "display multicast group memberships")
	fs.BoolVarP(&o.cache, "cache", "C", o.cache, "display routing cache instead of FIB")
	fs.BoolVarP(&o.fib, "fib", "F", o.fib, "display Forwarding Information Base (default)")
	fs.StringSliceVarP(&o.protocols, "protocol", "A", nil, "address families (inet, inet6, unix, …)")
	fs.BoolVarP(&o.inetLong, "inet", "4", o.inetLong, "same as -A inet")
	fs.BoolVarP(&o.inet6Long, "inet6", "6", o.inet6Long, "same as -A inet6")
	fs.BoolVarP(&o.ignoredD, "d", "d", o.ignoredD, "accepted and ignored, like netstat")
	fs.Lookup("d").Hidden = true
	// netstat's long name for -Z is --context, but --context is kubectl's
	// kubeconfig context here: -Z keeps only a hidden,
	// non-colliding long name.
	fs.BoolVarP(&o.selinux, "selinux-context", "Z", o.selinux, "display SELinux security context")
	fs.Lookup("selinux-context").Hidden = true
	fs.BoolVarP(&o.showVersion, "version", "V", o.showVersion, "display version information")
	fs.BoolVarP(&o.help, "help", "h", o.help, "display this help")

	fs.BoolVar(&o.allContainers, "all-containers", o.allContainers, "every network namespace on this host, each tagged")
	fs.BoolVar(&o.procOnly, "proc-net", o.procOnly, "read sockets from /proc/net text instead of netlink sock_diag")
	fs.Lookup("proc-net").Hidden = true
	fs.BoolVar(&o.agentLines, "agent-lines", o.agentLines, "agent mode: wrap each output line as NDJSON")
	fs.Lookup("agent-lines").Hidden = true
	o.ko.AddFlags(fs)
	o.peer.addFlags(fs)
}

// addPersistentFlags binds the flags the subcommands share with the root command.
func (o *netstatOptions) addPersistentFlags(fs *pflag.FlagSet) {
	fs.BoolVarP(&o.verbose, "verbose", "v", o.verbose, "be verbose")
	fs.StringVar(&o.outputFormat, "output", o.outputFormat, "output format: text, wide, json, ndjson (-o FORMAT works too)")
	fs.StringVar(&o.hostRoot, "host-root", o.hostRoot, "prefix for host state files (/run, /var/lib, /var/log, /run/netns); never applies to /proc")
	fs.StringVar(&o.procRoot, "proc-root", o.procRoot, "procfs to read")
}

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

// Complete derives the run's settings from the flags and targets; it does
// no I/O and reports nothing (Validate does).
func (o *netstatOptions) Complete(cmd *cobra.Command, args []string) error {
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
	o.format, o.formatErr = output.ParseFormat(o.outputFormat)
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
	o.modes = 0
	for _, m := range []struct {
		on bool
		m  mode
	}{{o.interfaces, modeInterfaces}, {o.route, modeRoute}, {o.statistics, modeStatistics}, {o.masquerade, modeSockets}} {
		if m.on {
			o.modes++
			o.mode = m.m
		}
	}
	if o.help {
		o.mode = modeHelp
	}
	if o.showVersion {
		o.mode = modeVersion
	}
	o.sel = o.resolveSelection()
	o.continuousSet = cmd.Flags().Changed("continuous")
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

// Validate reports every usage error (exit 2) and the requests this
// machine cannot serve (exit 1), before anything is read. It checks
// --proc-root and --host-root once and keeps the FS they give.
func (o *netstatOptions) Validate() error {
	for _, f := range o.families {
		if !knownFamily(f) && !contains([]string{"ddp", "ec"}, f) {
			return usage(kube.WithHint(fmt.Errorf("unknown address family `%s'; use inet, inet6 or unix", f), o.ko.RawArgs, ""))
		}
	}
	if o.formatErr != nil {
		return usage(o.formatErr)
	}
	if o.modes > 1 {
		return usagef("-i, -r, -s and -M are mutually exclusive; choose one")
	}
	fs, err := newFS(o.procRoot, o.hostRoot)
	if err != nil && o.nodeLocal {
		return err
	}
	if err != nil {
		// No /proc on this client: only the exec path's temporary tree is read.
		fs = inspect.FS{ProcRoot: o.procRoot, HostRoot: o.hostRoot}
	}
	o.fs = fs
	if err := o.peer.validate(); err != nil {
		return err
	}
	if err := o.checkPlatform(); err != nil {
		return err
	}
	if o.continuousSet && (o.continuous < 1 || o.continuous > maxSeconds) {
		return badSeconds("--continuous", strconv.Itoa(o.continuous))
	}
	if o.groups {
		return usagef("-g (multicast group memberships) is not supported; use 'ip maddr show'")
	}
	if o.selinux {
		return problemf("SELinux is not enabled on this machine.")
	}
	if o.mode == modeStatistics {
		for _, f := range o.families {
			if f != "inet" && f != "inet6" {
				return problemf("No statistics support for specified address family: %s", f)
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
			return kube.WithHint(err, o.ko.RawArgs, t)
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
		return fs, usage(err)
	}
	if !inspect.IsProcfs(fs.ProcRoot) {
		return fs, usagef("--proc-root %s: not a procfs mount (mount -t proc proc DIR, or omit the flag)", fs.ProcRoot)
	}
	return fs, nil
}
