package cmd

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// completeTargets offers the target kinds, then this host's containers,
// processes and namespaces for the kind being typed.
func (o *netstatOptions) completeTargets(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	kind, _, found := strings.Cut(toComplete, "/")
	if !found {
		return []string{"container/", "pod/", "pid/", "netns/"}, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	}
	fs, err := inspect.NewFS(o.procRoot, o.hostRoot)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	inv, err := fs.Discover(inspect.DiscoverOptions{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var out []string
	switch kind {
	case "container":
		for _, c := range inv.Containers {
			if c.Name != "" && !c.Sandbox {
				out = append(out, "container/"+c.Name)
			}
		}
	case "pod":
		seen := map[string]bool{}
		for _, c := range inv.Containers {
			if c.Pod != nil && c.Pod.Name != "" && !seen[c.Pod.Name] {
				seen[c.Pod.Name] = true
				out = append(out, "pod/"+c.Pod.Namespace+"/"+c.Pod.Name)
			}
		}
	case "pid":
		for _, e := range inv.Procs.Procs {
			if !e.Kthread() {
				out = append(out, "pid/"+strconv.Itoa(e.Proc.PID))
			}
		}
	case "netns":
		for _, ns := range inv.Netns {
			out = append(out, "netns/"+strconv.FormatUint(ns.Inode, 10))
			for _, n := range ns.Names {
				out = append(out, "netns/"+n)
			}
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// registerCompletions wires target and flag completion.
func (o *netstatOptions) registerCompletions(cmd *cobra.Command) {
	cmd.ValidArgsFunction = o.completeTargets
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "wide", "json", "ndjson"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("protocol", cobra.FixedCompletions([]string{"inet", "inet6", "unix"}, cobra.ShellCompDirectiveNoFileComp))
}
