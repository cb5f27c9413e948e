package cmd

import (
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

func TestPreprocess(t *testing.T) {
	tests := []struct {
		name     string
		in       []string
		args     []string
		families []string
	}{
		{"seed rn", []string{"-rn"}, []string{"-rn"}, nil},
		{"seed an", []string{"-an"}, []string{"-an"}, nil},
		{"seed unplt", []string{"-unplt"}, []string{"-unplt"}, nil},
		{"seed atunp", []string{"-atunp"}, []string{"-atunp"}, nil},
		{"seed c 5", []string{"-c", "5"}, []string{"--continuous=5"}, nil},
		{"c 5 in a cluster", []string{"-tanc", "5"}, []string{"-tan", "--continuous=5"}, nil},
		{"c glued", []string{"-c5"}, []string{"--continuous=5"}, nil},
		{"plain c", []string{"-c", "-tan"}, []string{"-c", "-tan"}, nil},
		{"c before a target kind", []string{"-tc", "pid/1"}, []string{"-tc", "pid/1"}, nil},
		{"o json", []string{"-tln", "-o", "json"}, []string{"-tln", "--output=json"}, nil},
		{"o glued format", []string{"-ojson"}, []string{"--output=json"}, nil},
		{"o ending a cluster with a format", []string{"-tlno", "ndjson"}, []string{"-tln", "--output=ndjson"}, nil},
		{"o alone is timers", []string{"-tano"}, []string{"-tano"}, nil},
		{"o then a pod is timers", []string{"-o", "web"}, []string{"-o", "web"}, nil},
		{"A inet6", []string{"-A", "inet6"}, []string{"--protocol=inet6"}, []string{"inet6"}},
		{"A glued list", []string{"-rAinet,inet6"}, []string{"-r", "--protocol=inet,inet6"}, []string{"inet", "inet6"}},
		{"families in order", []string{"-6", "-r", "-4"}, []string{"-6", "-r", "-4"}, []string{"inet6", "inet"}},
		{"x is unix", []string{"-4x"}, []string{"-4x"}, []string{"inet", "unix"}},
		{"long protocol", []string{"--protocol", "ip6"}, []string{"--protocol", "ip6"}, []string{"inet6"}},
		{"double dash", []string{"--", "-x"}, []string{"--", "-x"}, nil},
		{"watch seconds", []string{"audit", "--watch", "5"}, []string{"audit", "--watch=5"}, nil},
		{"continuous seconds", []string{"--continuous", "3", "-tan"}, []string{"--continuous=3", "-tan"}, nil},
		{"watch alone", []string{"audit", "--watch", "-o", "ndjson"}, []string{"audit", "--watch", "--output=ndjson"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := preprocess(tt.in)
			if d := cmp.Diff(tt.args, p.args); d != "" {
				t.Errorf("args (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.families, p.families); d != "" {
				t.Errorf("families (-want +got):\n%s", d)
			}
		})
	}
}

// completeArgs runs the pre-pass, flag parsing and Complete without running.
func completeArgs(t *testing.T, args ...string) *netstatOptions {
	t.Helper()
	ios := genericiooptions.NewTestIOStreamsDiscard()
	o := newNetstatOptions(ios)
	o.pre = preprocess(args)
	cmd := newRootCmd(o)
	if err := cmd.ParseFlags(o.pre.args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	if err := o.Complete(cmd, cmd.Flags().Args()); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return o
}

func TestSeedFlags(t *testing.T) {
	o := completeArgs(t, "-atunp")
	if !o.flags.All || !o.flags.NumericHosts || !o.flags.Programs || o.mode != modeSockets {
		t.Errorf("-atunp: %+v", o.flags)
	}
	if d := cmp.Diff([]inspect.Proto{inspect.ProtoTCP, inspect.ProtoTCP6, inspect.ProtoUDP, inspect.ProtoUDP6}, o.sel.tcpTables); d != "" {
		t.Errorf("-atunp tables (-want +got):\n%s", d)
	}
	if o.sel.unixTable {
		t.Error("-atunp must not list UNIX sockets")
	}
	o = completeArgs(t, "-unplt")
	if !o.flags.Listening || !o.udp || !o.tcp || o.flags.All {
		t.Errorf("-unplt: %+v", o.flags)
	}
	o = completeArgs(t, "-rn")
	if o.mode != modeRoute || !o.flags.NumericHosts {
		t.Errorf("-rn: mode %v flags %+v", o.mode, o.flags)
	}
	o = completeArgs(t, "-an")
	if !o.sel.unixTable || len(o.sel.tcpTables) != 8 || !o.sel.internetHeader {
		t.Errorf("-an: %+v", o.sel)
	}
	o = completeArgs(t, "-c", "5")
	if o.continuous != 5 {
		t.Errorf("-c 5: continuous = %d", o.continuous)
	}
	o = completeArgs(t, "-c")
	if o.continuous != 1 {
		t.Errorf("-c: continuous = %d", o.continuous)
	}
	o = completeArgs(t, "-tln", "-o", "json")
	if o.format != output.FormatJSON || o.timers {
		t.Errorf("-o json: format %v timers %v", o.format, o.timers)
	}
	o = completeArgs(t, "-tano")
	if o.format != output.FormatText || !o.flags.Timers {
		t.Errorf("-tano: format %v timers %v", o.format, o.flags.Timers)
	}
	o = completeArgs(t, "-ee", "-r")
	if o.flags.Extend != 2 {
		t.Errorf("-ee: extend %d", o.flags.Extend)
	}
	o = completeArgs(t, "-4")
	if o.sel.unixTable || len(o.sel.tcpTables) != 4 {
		t.Errorf("-4: %+v", o.sel)
	}
	o = completeArgs(t, "-x")
	if !o.sel.unixTable || len(o.sel.tcpTables) != 0 || o.sel.internetHeader {
		t.Errorf("-x: %+v", o.sel)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-q"}, exitUsage, "invalid option -- 'q'"},
		{[]string{"--bogus"}, exitUsage, "unrecognized option '--bogus'"},
		{[]string{"-r", "-i"}, exitUsage, "mutually exclusive"},
		{[]string{"--output", "xml"}, exitUsage, "unknown output format"},
		{[]string{"-A", "foo"}, exitUsage, "unknown address family `foo'"},
		{[]string{"-s", "-x"}, exitProblem, "No statistics support for specified address family: unix"},
		{[]string{"-rx"}, exitUsage, "No routing for address family `unix'."},
		{[]string{"--proc-root", "/nonexistent-proc"}, exitUsage, "--proc-root /nonexistent-proc"},
		// Issue 11, item 10: a directory that is not a procfs.
		{[]string{"--proc-root", os.TempDir()}, exitUsage, "not a procfs mount"},
		{[]string{"namespaces", "--proc-root", os.TempDir()}, exitUsage, "not a procfs mount"},
		{[]string{"audit", "--proc-root", os.TempDir()}, exitUsage, "not a procfs mount"},
		// Item 11: malformed targets, -c and -o values, stray subcommand words.
		{[]string{"foo/bar"}, exitUsage, `unknown kind "foo"`},
		{[]string{"container/"}, exitUsage, "empty name"},
		{[]string{"pid/abc"}, exitUsage, "not a process ID"},
		{[]string{"pid/-3"}, exitUsage, "not a process ID"},
		{[]string{""}, exitUsage, "empty target"},
		{[]string{"-tan", "pod/shop/"}, exitUsage, "pod/NAMESPACE/NAME"},
		{[]string{"-c", "abc"}, exitUsage, "--container abc"},
		{[]string{"-tc", "web"}, exitUsage, "--container web"},
		{[]string{"-o", "xml"}, exitUsage, `unknown output format "xml"`},
		{[]string{"-tln", "-oyaml"}, exitUsage, `unknown output format "yaml"`},
		{[]string{"namespaces", "extra"}, exitUsage, "takes no target"},
		{[]string{"containers", "extra"}, exitUsage, "takes no target"},
		// Item 8: bounds on -c and --watch (one day; 0 and negatives are errors).
		{[]string{"--continuous=9223372037"}, exitUsage, "from 1 to 86400"},
		{[]string{"--continuous=18446744074"}, exitUsage, "from 1 to 86400"},
		{[]string{"--continuous=0"}, exitUsage, "from 1 to 86400"},
		{[]string{"--continuous", "0"}, exitUsage, "from 1 to 86400"},
		{[]string{"--continuous=-1"}, exitUsage, "from 1 to 86400"},
		{[]string{"-c", "0"}, exitUsage, "from 1 to 86400"},
		{[]string{"-c", "86401"}, exitUsage, "from 1 to 86400"},
		{[]string{"-c0"}, exitUsage, "from 1 to 86400"},
		{[]string{"-c", "1.5"}, exitUsage, "from 1 to 86400"},
		{[]string{"audit", "--watch=9223372037"}, exitUsage, "from 1 to 86400"},
		{[]string{"audit", "--watch", "0"}, exitUsage, "from 1 to 86400"},
		{[]string{"audit", "--watch=-5"}, exitUsage, "from 1 to 86400"},
	}
	for _, tt := range tests {
		ios, _, out, errOut := genericiooptions.NewTestIOStreams()
		code := run(tt.args, ios)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tt.args, code, tt.code, errOut.String())
		}
		lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "kubectl-netstat: ") || !strings.Contains(lines[0], tt.want) {
			t.Errorf("%v: stderr %q, want one line with %q", tt.args, errOut.String(), tt.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: stdout %q, want nothing", tt.args, out.String())
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	ios, _, out, _ := genericiooptions.NewTestIOStreams()
	if code := run([]string{"-V"}, ios); code != 0 || !strings.Contains(out.String(), version) {
		t.Errorf("-V: exit %d, out %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"-h"}, ios); code != 0 || !strings.Contains(out.String(), "--all-containers") {
		t.Errorf("-h: exit %d, out %q", code, out.String())
	}
}

// TestNoLetterCollisions walks the whole flag set: every single letter must
// be netstat's, so kubectl's shorthands (-n, -s, -c, -A, -l) never sneak in.
func TestNoLetterCollisions(t *testing.T) {
	ios := genericiooptions.NewTestIOStreamsDiscard()
	o := newNetstatOptions(ios)
	cmd := newRootCmd(o)
	if c := letterCollisions(cmd.Flags()); len(c) != 0 {
		t.Errorf("letter collisions: %v", c)
	}
	for _, sub := range cmd.Commands() {
		if c := letterCollisions(sub.Flags()); len(c) != 0 {
			t.Errorf("%s: letter collisions: %v", sub.Name(), c)
		}
	}
}
