package cmd

import (
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netstat/kubectl-netstat/kube"
)

// letterCollisions lists every single-letter shorthand in fs that is not one
// of netstat's letters (netstatLetter, kubeflags_test.go), and every flag
// whose shorthand netstat uses for something else.
func letterCollisions(fs *pflag.FlagSet) []string {
	var out []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Shorthand == "" {
			return
		}
		want, ok := netstatLetter(f.Shorthand)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("-%s (--%s) is not a netstat letter", f.Shorthand, f.Name))
		case !want[f.Name]:
			names := make([]string, 0, len(want))
			for n := range want {
				names = append(names, n)
			}
			sort.Strings(names)
			out = append(out, fmt.Sprintf("-%s is netstat's --%s, not --%s", f.Shorthand, names[0], f.Name))
		}
	})
	sort.Strings(out)
	return out
}

// TestLetterCollisionsWithKubeFlags registers netstat's letters next to
// kube's flags, the way the command does, and expects no collision; then
// adds the kubectl shorthands netstat must not have and expects each to be
// caught.
func TestLetterCollisionsWithKubeFlags(t *testing.T) {
	fs := pflag.NewFlagSet("kubectl-netstat", pflag.ContinueOnError)
	kube.NewOptions(genericiooptions.NewTestIOStreamsDiscard()).AddFlags(fs)
	for _, f := range []struct{ long, short string }{
		{"tcp", "t"}, {"udp", "u"}, {"raw", "w"}, {"unix", "x"}, {"listening", "l"}, {"all", "a"},
		{"numeric", "n"}, {"program", "p"}, {"extend", "e"}, {"wide", "W"}, {"route", "r"},
		{"interfaces", "i"}, {"statistics", "s"}, {"protocol", "A"}, {"verbose", "v"}, {"version", "V"},
		{"continuous", "c"}, {"timers", "o"},
	} {
		fs.BoolP(f.long, f.short, false, "")
	}
	if got := letterCollisions(fs); len(got) != 0 {
		t.Errorf("letterCollisions on a clean set = %v", got)
	}

	bad := pflag.NewFlagSet("bad", pflag.ContinueOnError)
	bad.StringP("namespace", "n", "", "")
	bad.StringP("selector", "l", "", "")
	bad.StringP("kube-server", "s", "", "")
	bad.StringP("quiet", "q", "", "")
	want := []string{
		"-l is netstat's --listening, not --selector",
		"-n is netstat's --numeric, not --namespace",
		"-q (--quiet) is not a netstat letter",
		"-s is netstat's --statistics, not --kube-server",
	}
	if diff := cmp.Diff(want, letterCollisions(bad)); diff != "" {
		t.Errorf("letterCollisions (-want +got):\n%s", diff)
	}
}
