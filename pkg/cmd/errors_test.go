package cmd

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
)

// TestErrorChains: the command's errors wrap their causes, so the exit code
// comes from the type and errors.Is/As still reach the sentinel and the
// hint underneath; the text is the cause's, once.
func TestErrorChains(t *testing.T) {
	o := newNetstatOptions(genericiooptions.IOStreams{})
	o.ko.RawArgs = []string{"-n", "kube-system"}
	inv := &inspect.Inventory{Procs: &inspect.ProcTable{}}
	_, lookup := inv.Resolve("kube-system")
	if lookup == nil {
		t.Fatal("kube-system resolved in an empty inventory")
	}
	err := o.targetError("kube-system", lookup)
	var he *kube.HintError
	if exitCode(err) != exitProblem || !errors.Is(err, inspect.ErrNotFound) || !errors.As(err, &he) {
		t.Fatalf("targetError: %v (exit %d), want exit 1 wrapping ErrNotFound and a HintError", err, exitCode(err))
	}
	if msg := err.Error(); strings.Count(msg, "hint: ") != 1 || strings.Contains(msg, ": not found") {
		t.Errorf("targetError text %q: want one hint and no sentinel tail", msg)
	}
	// A second WithHint adds nothing.
	if again := kube.WithHint(err, o.ko.RawArgs, "kube-system"); again != err {
		t.Errorf("WithHint on a hinted error: %v", again)
	}

	_, statErr := os.Stat("/nonexistent-kns")
	for _, tc := range []struct {
		err  error
		code int
	}{
		{usagef("--policy: %w", statErr), exitUsage},
		{problemf("netns 7: %w; run as root to read it", statErr), exitProblem},
		{usage(kube.WithHint(statErr, []string{"-c", "nginx"}, "nginx")), exitUsage},
	} {
		if exitCode(tc.err) != tc.code || !errors.Is(tc.err, fs.ErrNotExist) {
			t.Errorf("%v: exit %d, Is(ErrNotExist) %v; want exit %d and the cause kept", tc.err, exitCode(tc.err), errors.Is(tc.err, fs.ErrNotExist), tc.code)
		}
	}
	// A node-local request on another platform says so once, even when
	// platformError sees it again.
	nl := nodeLocal("--all-containers", "")
	if got := platformError(nl); got != nl || !errors.Is(got, inspect.ErrNodeLocal) {
		t.Errorf("platformError(%v) = %v", nl, got)
	}
}
