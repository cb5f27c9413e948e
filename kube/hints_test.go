package kube

import (
	"strings"
	"testing"
)

func TestHabitHint(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		bad  string
		want string // substring; "" means no hint
	}{
		{"namespace", []string{"-n", "kube-system", "coredns"}, "kube-system", "--namespace kube-system"},
		{"namespace combined", []string{"-tan", "kube-system", "coredns"}, "kube-system", "--namespace kube-system"},
		{"namespace whole line", []string{"-n", "kube-system", "coredns"}, "", "--namespace kube-system"},
		{"numeric before pod", []string{"-n", "web"}, "web", "--namespace web"},
		{"numeric not before bad", []string{"-n", "web", "db"}, "db", ""},
		{"container", []string{"web", "-c", "nginx"}, "nginx", "--container nginx"},
		{"continuous seconds", []string{"web", "-c", "5"}, "5", ""},
		{"all namespaces alone", []string{"web", "-A"}, "", "--all-namespaces"},
		{"all namespaces before pod", []string{"-A", "web"}, "web", "--all-namespaces"},
		{"protocol family", []string{"-A", "inet6"}, "", ""},
		{"protocol families", []string{"-A", "inet,unix"}, "", ""},
		{"selector", []string{"-l", "app=web"}, "app=web", "--selector app=web"},
		{"listening before pod", []string{"-l", "web"}, "web", ""},
		{"after double dash", []string{"--", "-n", "x"}, "x", ""},
		{"long flag", []string{"--namespace", "x"}, "x", ""},
		{"no args", nil, "web", ""},
		{"namespace before a target kind", []string{"-tulpn", "pod/nope"}, "pod/nope", ""},
		{"selector set", []string{"-l", "env in (a,b)"}, "env in (a,b)", "--selector env in (a,b)"},
		{"selector not equal", []string{"-tl", "tier!=db"}, "tier!=db", "--selector tier!=db"},
		{"output yaml", []string{"-o", "yaml"}, "yaml", "use --output json"},
		{"output jsonpath", []string{"-o", "jsonpath={.x}"}, "jsonpath={.x}", "use --output json"},
		{"timers before pod", []string{"-o", "web"}, "web", ""},
		{"server url", []string{"-s", "https://203.0.113.7:6443"}, "https://203.0.113.7:6443", "--server https://203.0.113.7:6443"},
		{"statistics before pod", []string{"-s", "web"}, "web", ""},
		{"verbosity level", []string{"-v", "4"}, "4", "takes no level"},
		{"verbose before pod", []string{"-v", "web"}, "web", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := HabitHint(tc.args, tc.bad)
			if tc.want == "" {
				if got != "" {
					t.Errorf("HabitHint(%q, %q) = %q, want none", tc.args, tc.bad, got)
				}
				return
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("HabitHint(%q, %q) = %q, want it to contain %q", tc.args, tc.bad, got, tc.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("hint is not one line: %q", got)
			}
		})
	}
}
