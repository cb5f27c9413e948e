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
