package cmd

import (
	"bytes"
	"context"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// run executes the command line args the way main does, without signals,
// and returns the exit status.
func run(args []string, streams genericiooptions.IOStreams) int {
	c := newCommand(newNetstatOptions(streams), args)
	return ExitCode(c.ExecuteContext(context.Background()), streams.ErrOut)
}

// runCmd runs args with test streams: stdout, stderr, exit status.
func runCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	code := run(args, streams)
	return out.String(), errOut.String(), code
}

// TestNewCmdNetstatShape: the exported constructor gives a root command
// with the subcommands, its own -h, and Complete/Validate errors as one
// line with the contract's exit code.
func TestNewCmdNetstatShape(t *testing.T) {
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	root := NewCmdNetstat(streams)
	var names []string
	for _, c := range root.Commands() {
		names = append(names, c.Name())
	}
	for _, want := range []string{"audit", "containers", "namespaces"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("subcommand %s missing (have %v)", want, names)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-V"}, exitOK, ""},
		{[]string{"-o", "xml"}, exitUsage, "kubectl-netstat: unknown output format \"xml\""},
		{[]string{"-ir"}, exitUsage, "kubectl-netstat: -i, -r, -s and -M are mutually exclusive; choose one\n"},
		{[]string{"--output", "yaml", "namespaces"}, exitUsage, "kubectl-netstat: unknown output format"},
		{[]string{"audit", "pod/x"}, exitUsage, "kubectl-netstat: audit takes node/NAME targets, not \"pod/x\"\n"},
		{[]string{"containers", "web"}, exitUsage, "kubectl-netstat: containers lists the whole host and takes no target"},
		{[]string{"--proc-root", t.TempDir()}, exitUsage, "not a procfs mount"},
	} {
		_, errOut, code := runCmd(t, tc.args...)
		if code != tc.code || !bytes.Contains([]byte(errOut), []byte(tc.want)) || bytes.Count([]byte(errOut), []byte("\n")) > 1 {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and one line containing %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
