package runtime

import "testing"

func TestNspawnUnits(t *testing.T) {
	for _, tc := range []struct {
		name, comp string
		scope      bool
		want       string
	}{
		{"machine scope", `machine-fedora\x2d39.scope`, true, "fedora-39"},
		{"machine scope plain", "machine-web.scope", true, "web"},
		{"libvirt machine", `machine-lxc\x2d1\x2dc.scope`, true, "lxc-1-c"},
		{"not a scope", "machine-web.slice", false, ""},
		{"service (here)", `systemd-nspawn@kns\x2de2e\x2dns1.service`, false, "kns-e2e-ns1"},
		{"service without name", "systemd-nspawn@.service", false, ""},
		{"other service", "nspawn@web.service", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, ok := machineScope(tc.comp)
			if !tc.scope {
				name, ok = nspawnService(tc.comp)
			}
			if ok != (tc.want != "") || name != tc.want {
				t.Errorf("got %q, %v; want %q", name, ok, tc.want)
			}
		})
	}
	if !nspawnSupervisor("supervisor") || nspawnSupervisor("payload") {
		t.Error("supervisor: only the supervisor leaf is nspawn's own")
	}
}

func TestUnescapeSystemd(t *testing.T) {
	for in, want := range map[string]string{
		`fedora\x2d39`: "fedora-39",
		"plain":        "plain",
		`a\x2`:         `a\x2`, // short escape kept
		`a\xzz`:        `a\xzz`,
		`\x5cx2d`:      `\x2d`, // one pass only
	} {
		if got := unescapeSystemd(in); got != want {
			t.Errorf("unescapeSystemd(%q) = %q, want %q", in, got, want)
		}
	}
}
