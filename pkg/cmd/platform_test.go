package cmd

import (
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"strings"
	"testing"
)

// runAs is Run with the platform switched to a client that cannot read
// its own node (what a macOS or Windows build is).
func runAs(nodeLocal bool, args []string, streams genericiooptions.IOStreams) int {
	o := newNetstatOptions(streams)
	o.nodeLocal = nodeLocal
	o.pre = preprocess(args)
	o.ko.RawArgs = args
	cmd := newRootCmd(o)
	cmd.SetArgs(o.pre.args)
	err := platformError(cmd.Execute())
	if err != nil {
		oneLine(streams.ErrOut, err)
	}
	return exitCode(err)
}

// TestNonLinuxClientRefusesNodeLocal: on a client that is not Linux every
// node-local request is one line, exit 1, naming kubectl netstat POD and the
// node; pod targets and -V/-h are let through.
func TestNonLinuxClientRefusesNodeLocal(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	for _, args := range [][]string{
		{"-tulpn"}, {}, {"-rn"}, {"--all-containers", "-tln"}, {"container/web"}, {"pid/1", "-tln"},
		{"netns/x"}, {"--method", "local", "web"}, {"namespaces"}, {"containers", "-o", "json"},
	} {
		ios, _, out, errOut := genericiooptions.NewTestIOStreams()
		code := runAs(false, args, ios)
		msg := errOut.String()
		if code != exitProblem || out.Len() != 0 || strings.Count(msg, "\n") != 1 ||
			!strings.Contains(msg, "node-local") || !strings.Contains(msg, "kubectl netstat POD") || !strings.Contains(msg, "on the node") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out.String(), msg)
		}
	}
	// A pod target goes to the API: with no kubeconfig that is the error, not a platform one.
	ios, _, _, errOut := genericiooptions.NewTestIOStreams()
	code := runAs(false, []string{"-tln", "web"}, ios)
	if code != exitProblem || !strings.Contains(errOut.String(), "Kubernetes API") || strings.Contains(errOut.String(), "node-local") {
		t.Errorf("pod target on a non-Linux client: exit %d, stderr %q", code, errOut.String())
	}
	for _, args := range [][]string{{"-V"}, {"-h"}} {
		ios, _, out, errOut := genericiooptions.NewTestIOStreams()
		if code := runAs(false, args, ios); code != 0 || out.Len() == 0 {
			t.Errorf("%q on a non-Linux client: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}

// TestNonLinuxClientAudit: a node-local audit is refused on a non-Linux
// client; audit --all-nodes goes to the API (here: no kubeconfig, so that is
// the error).
func TestNonLinuxClientAudit(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	ios, _, out, errOut := genericiooptions.NewTestIOStreams()
	if code := runAs(false, []string{"audit"}, ios); code != exitProblem ||
		!strings.Contains(errOut.String(), "node-local") || !strings.Contains(errOut.String(), "--all-nodes") {
		t.Errorf("audit: exit %d, stderr %q", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := runAs(false, []string{"audit", "--all-nodes"}, ios); code != exitProblem ||
		strings.Contains(errOut.String(), "node-local") || !strings.Contains(errOut.String(), "kubeconfig") {
		t.Errorf("audit --all-nodes: exit %d, stderr %q", code, errOut.String())
	}
}
