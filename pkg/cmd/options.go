package cmd

import (
	"context"
	"fmt"

	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "v0.1.0-dev"

// netstatOptions holds every flag of the main command and what Complete derives from them.
type netstatOptions struct {
	IOStreams

	// netstat selection flags.
	tcp, udp, udpLite, raw, unix, sctp bool
	route, interfaces, statistics      bool
	masquerade, groups, cache, fib     bool
	protocols                          []string
	inetLong, inet6Long, unixLong      bool
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
	pre      preArgs
	targets  []string
	fs       inspect.FS
	format   output.Format
	families []string
	flags    output.Flags
	mode     mode
	sel      selection
	cmdFlags *pflag.FlagSet
	// stamp is the RFC 3339 time of the current -c refresh in JSON output.
	stamp string
}

func newNetstatOptions(streams IOStreams) *netstatOptions {
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

// newCmdNetstat builds the root command; args are the raw command line (already preprocessed).
func newCmdNetstat(o *netstatOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubectl-netstat [TARGET...] [netstat flags]",
		Short: "netstat for containers, pods and network namespaces",
		Long: `kubectl-netstat prints network connections, routing tables, interface statistics
and protocol statistics exactly as net-tools netstat does, for the current network
namespace or for containers, pods and namespaces on this host.

Targets: POD or pod/NAME, container/NAME-OR-ID, pid/PID, netns/PATH-OR-INODE.
Single-letter flags mean what they mean to netstat; Kubernetes flags are long-only.`,
		Example: `  # netstat's habits, unchanged
  kubectl-netstat -tulpn
  kubectl-netstat -rn
  kubectl-netstat -c 5 -tan

  # one container's namespace, every container on the node
  kubectl-netstat container/nginx -tulpn
  kubectl-netstat --all-containers -tulpn
  kubectl-netstat --all-containers -tlpn -o json`,
		SilenceUsage:          true,
		SilenceErrors:         true,
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(cmd, args); err != nil {
				return err
			}
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	cmd.SetOut(o.Out)
	cmd.SetErr(o.ErrOut)
	o.addFlags(cmd.Flags())
	o.addPersistentFlags(cmd.PersistentFlags())
	o.registerCompletions(cmd)
	// Our -h flag replaces cobra's; help text goes to stdout like netstat -h.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	cmd.AddCommand(subcommands(o)...)
	o.cmdFlags = cmd.Flags()
	return cmd
}

// flagError turns pflag's messages into netstat-like one-line usage errors.
func flagError(err error) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		// "unknown shorthand flag: 'q' in -q"
		l, _, _ := strings.Cut(strings.TrimPrefix(msg, "unknown shorthand flag: "), " in ")
		return usagef("invalid option -- %s; see 'kubectl-netstat --help'", l)
	case strings.HasPrefix(msg, "unknown flag: "):
		return usagef("unrecognized option '%s'; see 'kubectl-netstat --help'", strings.TrimPrefix(msg, "unknown flag: "))
	}
	return usagef("%s; see 'kubectl-netstat --help'", msg)
}

// Run executes the command line and returns the process exit code.
func Run(args []string, streams IOStreams) int {
	o := newNetstatOptions(streams)
	o.pre = preprocess(args)
	o.ko.RawArgs = args
	if o.pre.err != nil {
		oneLine(streams.ErrOut, o.pre.err)
		return exitUsage
	}
	cmd := newCmdNetstat(o)
	cmd.SetArgs(o.pre.args)
	ctx, sig := notifySignals(context.Background())
	defer sig.stop()
	err := cmd.ExecuteContext(ctx)
	if code := sig.exitCode(); code != 0 {
		// Interrupted: what was printed so far is flushed; no error line.
		return code
	}
	err = platformError(err)
	if err != nil {
		oneLine(streams.ErrOut, err)
	}
	return exitCode(err)
}

func (o *netstatOptions) printVersion() {
	fmt.Fprintf(o.Out, "kubectl-netstat %s\nnet-tools netstat 2.10 compatible output\n", version)
}
