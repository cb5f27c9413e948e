package cmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// notes is what a run says on stderr about the host rather than its output:
// discovery warnings that concern the request, and one -v line counting the
// processes and namespaces that vanished while it looked (on a busy host
// dozens exit during every scan; one line each would bury the output).
type notes struct {
	w       io.Writer
	verbose bool
	// hostWide: the request covers the whole host (--all-containers,
	// namespaces, containers, audit), so every warning concerns it.
	hostWide bool
	// containers: a target names a container or pod, so warnings about
	// runtime state and cgroups concern it.
	containers bool
	// netnsArgs are the arguments of netns/ targets: a dangling entry they
	// name concerns the request.
	netnsArgs []string

	goneProcs, goneNetns int
	// denied counts namespaces this user may not enter (not root): one
	// notice says so instead of a warning each.
	denied int
}

// newNotes scopes the warnings to targets (none: the whole host when hostWide).
func newNotes(w io.Writer, verbose, hostWide bool, targets []string) *notes {
	n := &notes{w: w, verbose: verbose, hostWide: hostWide}
	for _, t := range targets {
		kind, arg, ok := strings.Cut(t, "/")
		switch {
		case ok && kind == "netns":
			n.netnsArgs = append(n.netnsArgs, arg)
		case ok && kind == "pid":
		default: // container/, pod/, POD
			n.containers = true
		}
	}
	return n
}

// discovery prints the inventory's warnings that concern the request and
// counts the processes that exited during its scan.
func (n *notes) discovery(inv *inspect.Inventory) {
	if inv.Procs != nil {
		n.goneProcs += inv.Procs.Gone
	}
	for _, w := range inv.Warnings {
		if n.concerns(w) {
			fmt.Fprintf(n.w, "kubectl-netstat: warning: %v\n", w)
		}
	}
}

func (n *notes) concerns(w inspect.Warning) bool {
	if w.Kind == inspect.WarnPermission {
		// Processes root cannot read are common in sandboxes.
		return n.verbose
	}
	if n.verbose || n.hostWide {
		return true
	}
	if w.Kind == inspect.WarnDangling {
		for _, a := range n.netnsArgs {
			if a == w.Path || filepath.Base(w.Path) == a {
				return true
			}
		}
		return false
	}
	return n.containers
}

// openFailed reports a namespace that could not be opened for reading
// (err names it: an *inspect.OpenError). One
// that vanished (its last process exited, its mount went away) is only
// counted when it was not asked for by name.
func (n *notes) openFailed(err error, named bool) {
	if isPermission(err) {
		n.denied++
		return
	}
	// A path that no longer leads to a namespace (a process swapped its fd
	// for another file) is a namespace gone from that path.
	if !named && (isVanished(err) || errors.Is(err, inspect.ErrNotNetns)) {
		n.goneNetns++
		return
	}
	fmt.Fprintf(n.w, "kubectl-netstat: warning: %v\n", err)
}

// done prints the -v line about what vanished during the scan.
func (n *notes) done() {
	if !n.verbose || n.goneProcs+n.goneNetns == 0 {
		return
	}
	fmt.Fprintf(n.w, "kubectl-netstat: %d processes and %d network namespaces vanished during the scan (exited before they could be read)\n",
		n.goneProcs, n.goneNetns)
	n.goneProcs, n.goneNetns = 0, 0
}

func isVanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) || errors.Is(err, syscall.ENOENT)
}
