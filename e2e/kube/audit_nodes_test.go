//go:build linux

package kubee2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditNodeThroughAgent audits the virtual-kubelet node through an agent
// pod: the agent lists that node's listeners, the policy is evaluated by the
// CLI, the row carries the node's name, a violation exits 1, and the agent
// pod is gone afterwards. A node that does not exist is reported and also
// exits 1.
func TestAuditNodeThroughAgent(t *testing.T) {
	a := newAgentScene(t)
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	// Deny only the fixture pod's listener, allow the rest of the host.
	text := "default: allow\nrules:\n  - action: deny\n    match:\n      pod: " + a.fp.Name + "\n      port: \"18081\"\n"
	if err := os.WriteFile(pol, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	created := watchAgents(t, a.cs, a.ns)
	stdout, stderr, code := runBinary(t, a.bin, "audit", "--kubeconfig", a.c.adminKubeconfig, "--namespace", a.ns,
		"--policy", pol, "--output", "json", "node/"+a.node.Name)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (one violation)\nstderr: %s\nstdout: %s", code, stderr, stdout)
	}
	agent := <-created
	assertGone(t, a.cs, agent)
	var recs []struct {
		Node    string `json:"node"`
		Port    int    `json:"port"`
		Verdict *struct {
			Allowed bool `json:"allowed"`
		} `json:"verdict"`
		Container *struct {
			Pod *struct{ Name string } `json:"pod"`
		} `json:"container"`
	}
	if err := json.Unmarshal([]byte(stdout), &recs); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	violations := 0
	for _, r := range recs {
		if r.Node != a.node.Name {
			t.Errorf("record node %q, want %q", r.Node, a.node.Name)
		}
		if r.Verdict != nil && !r.Verdict.Allowed {
			violations++
			if r.Port != 18081 || r.Container == nil || r.Container.Pod == nil || r.Container.Pod.Name != a.fp.Name {
				t.Errorf("unexpected violation: %+v", r)
			}
		}
	}
	if violations != 1 {
		t.Errorf("%d violations, want 1:\n%s", violations, stdout)
	}

	_, stderr, code = runBinary(t, a.bin, "audit", "--kubeconfig", a.c.adminKubeconfig, "--namespace", a.ns,
		"--agent-timeout", "3s", "node/no-such-node-"+a.scene.Tag)
	if code != 1 || !strings.Contains(stderr, "could not be audited") {
		t.Errorf("missing node: exit %d, stderr %q", code, stderr)
	}
}
