package kube

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func newFlagSet(t *testing.T) (*Options, *pflag.FlagSet) {
	t.Helper()
	o := NewOptions(genericiooptions.NewTestIOStreamsDiscard())
	fs := pflag.NewFlagSet("kubectl-netstat", pflag.ContinueOnError)
	o.AddFlags(fs)
	return o, fs
}

func TestAddFlagsHasNoShorthands(t *testing.T) {
	_, fs := newFlagSet(t)
	var short []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Shorthand != "" {
			short = append(short, f.Name+"=-"+f.Shorthand)
		}
	})
	if len(short) != 0 {
		t.Errorf("kube flags keep shorthands that belong to netstat: %v", short)
	}
	for _, name := range []string{"namespace", "context", "kubeconfig", "server", "request-timeout",
		"selector", "all-namespaces", "node", "container", "method", "image", "agent-timeout"} {
		if fs.Lookup(name) == nil {
			t.Errorf("--%s not registered", name)
		}
	}
}

func TestFlagsParse(t *testing.T) {
	o, fs := newFlagSet(t)
	err := fs.Parse([]string{"--namespace=kube-system", "--selector", "app=web", "--all-namespaces",
		"--node", "n1", "--container", "nginx", "--method", "exec", "--image", "x/y:1", "--agent-timeout", "30s"})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{*o.ConfigFlags.Namespace, o.Selector, o.AllNamespaces, o.Node, o.Container, o.Method, o.Image, o.AgentTimeout}
	want := []any{"kube-system", "app=web", true, "n1", "nginx", MethodExec, "x/y:1", 30 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed options (-want +got):\n%s", diff)
	}
}

func TestMethodSet(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Method
		err  bool
	}{
		{"auto", MethodAuto, false}, {"local", MethodLocal, false}, {"agent", MethodAgent, false},
		{"exec", MethodExec, false}, {"ssh", MethodAuto, true}, {"", MethodAuto, true}, {"EXEC", MethodAuto, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var m Method
			err := m.Set(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("Set(%q) err = %v, want err %v", tc.in, err, tc.err)
			}
			if err != nil && !errors.Is(err, ErrUsage) {
				t.Errorf("Set(%q) err = %v, want ErrUsage", tc.in, err)
			}
			if m != tc.want {
				t.Errorf("Set(%q) = %v, want %v", tc.in, m, tc.want)
			}
			if err == nil && m.String() != tc.in {
				t.Errorf("String() = %q, want %q", m.String(), tc.in)
			}
		})
	}
}

func TestDefaultImage(t *testing.T) {
	for in, want := range map[string]string{
		"":            ImageRepo + ":latest",
		"dev":         ImageRepo + ":latest",
		"v0.0.0-abc":  ImageRepo + ":latest",
		"v0.1.0-dev":  ImageRepo + ":latest",
		"v1.2.3":      ImageRepo + ":v1.2.3",
		"1.2.3":       ImageRepo + ":v1.2.3",
		"v1.2.3-rc.1": ImageRepo + ":v1.2.3-rc.1",
	} {
		if got := DefaultImage(in); got != want {
			t.Errorf("DefaultImage(%q) = %q, want %q", in, got, want)
		}
	}
	o := NewOptions(genericiooptions.NewTestIOStreamsDiscard())
	o.Version = "v2.0.0"
	if got := o.image(); got != ImageRepo+":v2.0.0" {
		t.Errorf("image() = %q", got)
	}
	o.Image = "example.com/netstat:x"
	if got := o.image(); got != "example.com/netstat:x" {
		t.Errorf("image() with --image = %q", got)
	}
}

func TestNoKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", t.TempDir()+"/missing")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	o := NewOptions(genericiooptions.NewTestIOStreamsDiscard())
	err := o.Complete()
	if !errors.Is(err, ErrNoKubeconfig) {
		t.Fatalf("Complete() = %v, want ErrNoKubeconfig", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}
