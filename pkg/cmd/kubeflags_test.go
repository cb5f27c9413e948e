package cmd

import (
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// kubectlFlags is kubectl's own set of kubeconfig flags, straight from
// cli-runtime, so the test follows cli-runtime when it gains a flag.
func kubectlFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("kubectl", pflag.ContinueOnError)
	genericclioptions.NewConfigFlags(true).AddFlags(fs)
	return fs
}

// commandsOf is the root command and every subcommand, each with the flags
// it parses (its own plus the inherited persistent ones).
func commandsOf(root *cobra.Command) []*cobra.Command {
	cmds := []*cobra.Command{root}
	cmds = append(cmds, root.Commands()...)
	return cmds
}

// TestKubectlFlagsWalk walks every flag of every command, short and long,
// against kubectl's set and netstat's: each kubectl long flag must be there
// and be cli-runtime's own flag (same type and help, not a netstat flag of
// that name); no kubectl shorthand may survive; every letter is netstat's.
func TestKubectlFlagsWalk(t *testing.T) {
	o := newNetstatOptions(genericiooptions.NewTestIOStreamsDiscard())
	root := newRootCmd(o)
	kubectl := kubectlFlags()
	for _, cmd := range commandsOf(root) {
		fs := cmd.Flags()
		fs.AddFlagSet(cmd.InheritedFlags())
		name := cmd.Name()
		n := 0
		kubectl.VisitAll(func(kf *pflag.Flag) {
			n++
			f := fs.Lookup(kf.Name)
			if f == nil {
				if cmd == root || cmd.Name() == "audit" {
					t.Errorf("%s: kubectl flag --%s is missing", name, kf.Name)
				}
				return
			}
			if f.Value.Type() != kf.Value.Type() || f.Usage != kf.Usage {
				t.Errorf("%s: --%s is not kubectl's flag (type %s, usage %q; kubectl: %s, %q)", name, kf.Name, f.Value.Type(), f.Usage, kf.Value.Type(), kf.Usage)
			}
			if f.Shorthand != "" {
				t.Errorf("%s: --%s keeps a shorthand -%s; single letters are netstat's", name, kf.Name, f.Shorthand)
			}
		})
		if n < 15 {
			t.Fatalf("cli-runtime registered only %d flags; the walk is not seeing kubectl's set", n)
		}
		// Every letter is netstat's, and no kubectl shorthand letter
		// (-n, -s, …) is bound to its kubectl meaning.
		letters := 0
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Shorthand == "" {
				return
			}
			letters++
			if kf := kubectl.Lookup(f.Name); kf != nil {
				t.Errorf("%s: -%s is bound to kubectl's --%s", name, f.Shorthand, f.Name)
			}
			if want, ok := netstatLetter(f.Shorthand); !ok || !want[f.Name] {
				t.Errorf("%s: -%s is --%s; netstat's -%s is %v", name, f.Shorthand, f.Name, f.Shorthand, want)
			}
		})
		if cmd == root && letters < 25 {
			t.Errorf("root has only %d single-letter flags; netstat has more", letters)
		}
	}
}

// netstatLetter is net-tools netstat's long name(s) for a letter, as
// registered here (-Z's long name --context is kubectl's, so -Z keeps a
// hidden --selinux-context).
func netstatLetter(l string) (map[string]bool, bool) {
	m := map[string][]string{
		"t": {"tcp"}, "u": {"udp"}, "U": {"udplite"}, "w": {"raw"}, "x": {"unix"}, "S": {"sctp"},
		"l": {"listening"}, "a": {"all"}, "n": {"numeric"}, "N": {"symbolic"}, "p": {"programs", "program"},
		"e": {"extend"}, "o": {"timers"}, "W": {"wide"}, "c": {"continuous"}, "r": {"route"},
		"i": {"interfaces"}, "s": {"statistics"}, "M": {"masquerade"}, "g": {"groups"}, "C": {"cache"},
		"F": {"fib"}, "A": {"protocol"}, "4": {"inet"}, "6": {"inet6"}, "d": {"d"}, "Z": {"selinux-context"},
		"V": {"version"}, "h": {"help"}, "v": {"verbose"},
	}
	names, ok := m[l]
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return set, ok
}

// TestKubectlLongFlagsParse types every value-taking kubectl flag the way
// kubectl users do (--flag=value and --flag value) next to netstat letters
// and checks that cli-runtime's field got the value.
func TestKubectlLongFlagsParse(t *testing.T) {
	for _, form := range []string{"eq", "space"} {
		o := newNetstatOptions(genericiooptions.NewTestIOStreamsDiscard())
		cmd := newRootCmd(o)
		cf := o.ko.ConfigFlags
		want := map[string]*string{
			"kubeconfig": cf.KubeConfig, "context": cf.Context, "cluster": cf.ClusterName, "user": cf.AuthInfoName,
			"namespace": cf.Namespace, "request-timeout": cf.Timeout, "server": cf.APIServer, "token": cf.BearerToken,
			"as": cf.Impersonate, "as-uid": cf.ImpersonateUID, "certificate-authority": cf.CAFile,
			"client-certificate": cf.CertFile, "client-key": cf.KeyFile, "tls-server-name": cf.TLSServerName,
			"cache-dir": cf.CacheDir,
		}
		var args []string
		for name := range want {
			if form == "eq" {
				args = append(args, "--"+name+"=v-"+name)
			} else {
				args = append(args, "--"+name, "v-"+name)
			}
		}
		args = append(args, "-tln", "--as-group=g1", "--as-group", "g2", "--insecure-skip-tls-verify", "--disable-compression")
		pre := preprocess(args)
		if err := cmd.ParseFlags(pre.args); err != nil {
			t.Fatalf("%s: parse %q: %v", form, args, err)
		}
		for name, p := range want {
			if p == nil || *p != "v-"+name {
				t.Errorf("%s: --%s did not reach cli-runtime's field", form, name)
			}
		}
		if g := *cf.ImpersonateGroup; strings.Join(g, ",") != "g1,g2" {
			t.Errorf("%s: --as-group = %v", form, g)
		}
		if !*cf.Insecure || !*cf.DisableCompression {
			t.Errorf("%s: bool kubectl flags not set", form)
		}
		if !o.tcp || !o.listening || !o.numeric || o.selinux {
			t.Errorf("%s: netstat letters next to kubectl flags: -t %v -l %v -n %v -Z %v", form, o.tcp, o.listening, o.numeric, o.selinux)
		}
		if got := o.ko.ExplicitFlags(); len(got) != len(want)+3 {
			t.Errorf("%s: ExplicitFlags = %v", form, got)
		}
	}
}

// TestExplicitKubeconfigNeverFallsBack runs the command with kubeconfigs
// that cannot be used and Kubernetes-only flags without any kubeconfig: each
// must be one line on stderr, exit 1, and print nothing from this host.
func TestExplicitKubeconfigNeverFallsBack(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.yaml")
	junk := filepath.Join(dir, "junk.yaml")
	if err := os.WriteFile(empty, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(junk, []byte("\x00\xff\xfe not yaml: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", dir) // no ~/.kube/config
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kubeconfig", filepath.Join(dir, "missing"), "-tln", "web"}, "--kubeconfig " + filepath.Join(dir, "missing") + ": "},
		{[]string{"--kubeconfig=" + empty, "web"}, "no cluster is defined"},
		{[]string{"--kubeconfig", junk, "-tln", "web"}, "error loading config file"},
		{[]string{"--context", "prod", "-tln", "web"}, "--context needs the Kubernetes API"},
		{[]string{"--context=prod", "-tln", "pod/web"}, "--context needs the Kubernetes API"},
		{[]string{"--selector", "app=web", "-tln"}, "--selector needs the Kubernetes API"},
		{[]string{"--all-namespaces", "-tln"}, "--all-namespaces needs the Kubernetes API"},
		{[]string{"--node", "n1", "-tln"}, "--node needs the Kubernetes API"},
		{[]string{"--namespace", "shop", "web"}, "--namespace needs the Kubernetes API"},
		{[]string{"--server", "https://127.0.0.1:1", "--cluster", "c", "web"}, ""},
	} {
		ios, _, out, errOut := genericiooptions.NewTestIOStreams()
		code := run(tc.args, ios)
		msg := errOut.String()
		if code != exitProblem || out.Len() != 0 || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "kubectl-netstat: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1, nothing on stdout, one line containing %q", tc.args, code, out.String(), msg, tc.want)
		}
		if strings.Contains(msg, "runtime state") {
			t.Errorf("%q fell back to this host's runtime state: %s", tc.args, msg)
		}
	}
}
