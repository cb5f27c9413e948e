package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// remotePod is a pod read through the API server: by an agent pod on its
// node, or by exec into one of its containers.
type remotePod struct {
	ref    kube.PodRef
	method kube.Method
}

func newKubeOptions(s genericiooptions.IOStreams) *kube.Options {
	ko := kube.NewOptions(s)
	ko.Version = version
	return ko
}

// splitTargets separates Kubernetes targets (POD, pod/…, node/…) from local ones.
func splitTargets(targets []string) (kubeTargets, local []string) {
	for _, t := range targets {
		if _, ok := kube.ParseTarget(t); ok {
			kubeTargets = append(kubeTargets, t)
		} else {
			local = append(local, t)
		}
	}
	return kubeTargets, local
}

// resolvePods asks the API server for the pods named by targets and flags.
// It returns ok=false when no cluster is configured and no Kubernetes flag
// was typed, so the caller falls back to this host's runtime state; an
// explicit --kubeconfig, --context, --selector, … that cannot be used is an
// error instead.
func (o *netstatOptions) resolvePods(ctx context.Context, targets []string) (refs []kube.PodRef, ok bool, err error) {
	if len(targets) == 0 && !o.ko.Listing() {
		return nil, true, nil
	}
	refs, err = o.ko.Resolve(ctx, targets)
	if errors.Is(err, kube.ErrNoKubeconfig) && len(o.ko.ExplicitFlags()) == 0 {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, o.kubeError(err)
	}
	return refs, true, nil
}

// kubeError picks the exit code (kube adds the kubectl-habit hint itself
// where a name was not found).
func (o *netstatOptions) kubeError(err error) error {
	if errors.Is(err, kube.ErrUsage) {
		return usage(err)
	}
	return problem(err)
}

// placePods decides, per pod, where it is read: locally when its containers
// run on this host (matched by container ID, not by hostname), else by an
// agent pod or exec. Local pods add their namespaces to selected.
func (o *netstatOptions) placePods(inv *inspect.Inventory, refs []kube.PodRef) (selected []*inspect.Netns, remote []remotePod, err error) {
	for _, ref := range refs {
		var local []*inspect.Container
		for _, c := range ref.Containers {
			if lc := inv.Container(c.ID); lc != nil {
				// The API knows names the node's state may not.
				if lc.Name == "" {
					lc.Name = c.Name
				}
				if lc.Pod == nil || lc.Pod.Name == "" {
					lc.Pod = &inspect.Pod{Namespace: ref.Namespace, Name: ref.Name, UID: ref.UID}
				}
				lc.HostNetwork = lc.HostNetwork || ref.HostNetwork
				local = append(local, lc)
			}
		}
		method := o.ko.Method
		switch {
		case method == kube.MethodExec || method == kube.MethodAgent:
			remote = append(remote, remotePod{ref: ref, method: method})
			continue
		case len(local) > 0:
		case method == kube.MethodLocal:
			return nil, nil, problemf("pod %s runs on node %q, not on this host; use --method=agent or --method=exec", ref, ref.Node)
		default:
			remote = append(remote, remotePod{ref: ref, method: kube.MethodAgent})
			continue
		}
		// Containers of one pod share a namespace; the caller prints each once.
		for _, lc := range local {
			if ns := inv.NetnsOf(lc.NetnsInode); ns != nil {
				selected = append(selected, ns)
			}
		}
	}
	return selected, remote, nil
}

// netstatArgs rebuilds the user's netstat flags for an agent: everything
// that shapes netstat's output, nothing about targets or the cluster.
func (o *netstatOptions) netstatArgs() []string {
	var letters strings.Builder
	for _, f := range []struct {
		on bool
		l  byte
	}{{o.tcp, 't'}, {o.udp, 'u'}, {o.udpLite, 'U'}, {o.raw, 'w'}, {o.unix, 'x'}, {o.sctp, 'S'},
		{o.listening, 'l'}, {o.all, 'a'}, {o.numeric, 'n'}, {o.programs || o.programAlias, 'p'},
		{o.timers, 'o'}, {o.wide, 'W'}, {o.route, 'r'}, {o.interfaces, 'i'}, {o.statistics, 's'},
		{o.cache, 'C'}, {o.fib, 'F'}, {o.symbolic, 'N'}, {o.verbose, 'v'}} {
		if f.on {
			letters.WriteByte(f.l)
		}
	}
	for i := 0; i < o.extend; i++ {
		letters.WriteByte('e')
	}
	var args []string
	if letters.Len() > 0 {
		args = append(args, "-"+letters.String())
	}
	for _, f := range []struct {
		on   bool
		flag string
	}{{o.numericHosts, "--numeric-hosts"}, {o.numericPorts, "--numeric-ports"}, {o.numericUsers, "--numeric-users"}} {
		if f.on {
			args = append(args, f.flag)
		}
	}
	if len(o.families) > 0 {
		args = append(args, "--protocol="+strings.Join(o.families, ","))
	}
	return args
}

// printAgent runs an agent pod for ref and copies what it prints. Text and
// wide output travel as {"line": …} objects so every byte of netstat's
// text survives; JSON formats travel as the records themselves. The agent
// always heads each namespace with a "# netns" line; when this run prints a
// single namespace (multi false) and the agent saw one, that line is dropped,
// so the output equals --method local's for the same pod.
func (o *netstatOptions) printAgent(ctx context.Context, w *bufio.Writer, rp remotePod, out *collected, multi bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	args := o.netstatArgs()
	for _, c := range rp.ref.Containers {
		if c.ID != "" && (o.ko.Container == "" || c.Name == o.ko.Container) {
			args = append(args, "container/"+c.ID)
		}
	}
	if o.format.IsJSON() {
		args = append(args, "--output=ndjson")
	} else {
		args = append(args, "--output="+o.format.String(), "--agent-lines")
	}
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := o.ko.RunAgent(ctx, rp.ref.Node, args, pw)
		pw.CloseWithError(err)
		errc <- err
	}()
	rd := wire.NewReader(pr)
	var lines []string
	for rd.Next() {
		if f := rd.Frame(); f.IsLine {
			lines = append(lines, f.Line)
		} else {
			out.records = append(out.records, f.Record)
		}
	}
	// A read error is either the agent's own (passed through the pipe) or
	// the stream's (a line over wire.MaxLine): then the agent's writer is
	// stopped instead of left blocking.
	readErr := rd.Err()
	if readErr != nil {
		pr.CloseWithError(readErr)
	}
	if err := <-errc; err != nil && (readErr == nil || errors.Is(readErr, err)) {
		return o.kubeError(err)
	}
	if readErr != nil {
		return problemf("agent on node %s: %w", rp.ref.Node, readErr)
	}
	if !multi && len(lines) > 0 && strings.HasPrefix(lines[0], "# netns ") {
		headers := 0
		for _, l := range lines {
			if strings.HasPrefix(l, "# netns ") {
				headers++
			}
		}
		if headers == 1 {
			lines = lines[1:]
		}
	}
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	return nil
}

// execView reads a pod's /proc/net files through exec into a temporary
// proc-like tree and returns a view that the normal readers can use.
func (o *netstatOptions) execView(ctx context.Context, rp remotePod) (*nsView, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.mode == modeInterfaces {
		return nil, usagef("-i needs ioctls inside the namespace and is not available with --method=exec; use --method=agent")
	}
	files, err := o.ko.ExecProcNet(ctx, rp.ref, o.ko.Container, kube.ProcNetFiles())
	if err != nil {
		return nil, o.kubeError(err)
	}
	dir, err := os.MkdirTemp("", "kubectl-netstat-exec-")
	if err != nil {
		return nil, err
	}
	netDir := filepath.Join(dir, "thread-self", "net")
	if err := os.MkdirAll(netDir, 0o700); err != nil {
		return nil, err
	}
	for path, b := range files {
		if err := os.WriteFile(filepath.Join(netDir, filepath.Base(path)), b, 0o600); err != nil {
			return nil, err
		}
	}
	fs := o.fs
	fs.ProcRoot = dir
	c := &inspect.Container{Pod: &inspect.Pod{Namespace: rp.ref.Namespace, Name: rp.ref.Name, UID: rp.ref.UID},
		HostNetwork: rp.ref.HostNetwork, Confidence: inspect.ConfidenceAPI}
	for _, rc := range rp.ref.Containers {
		if o.ko.Container == "" || rc.Name == o.ko.Container {
			c.Name, c.ID = rc.Name, rc.ID
			c.Runtime = runtimeOf(rc.Runtime)
			break
		}
	}
	if o.flags.Programs {
		fmt.Fprintln(o.ErrOut, "kubectl-netstat: -p is not available with --method=exec (no access to the node's processes); the column shows '-'")
	}
	return &nsView{r: fs.NewOwnNetReader(ctx), exec: true, procOnly: true, remote: true, container: c, tmpDir: dir,
		label: fmt.Sprintf("# netns - pod %s/%s (%s) containers: %s (read by exec)", rp.ref.Namespace, rp.ref.Name, c.Runtime, c.Name)}, nil
}

func runtimeOf(s string) inspect.Runtime {
	for r := inspect.RuntimeUnknown; r <= inspect.RuntimeNspawn; r++ {
		if r.String() == s {
			return r
		}
	}
	return inspect.RuntimeUnknown
}
