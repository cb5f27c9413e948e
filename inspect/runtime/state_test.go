package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/internal/safefile"
)

func readStateTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "state", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeFile writes below root, creating directories.
func writeFile(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseOCIConfig(t *testing.T) {
	const sbID = "446c65ab43d4e2e6d4cc0d5c4e2bbde6d3d7ae3e3b02f0c3aa5fcda5f51bf7a9"
	pod := &Pod{Namespace: "default", Name: "hostname-lb-edge-64df67bd8b-xmzhv", UID: "005f082b-5fd9-4650-8ef4-473e63bc2d13"}
	for _, tc := range []struct {
		name    string
		in      string
		want    StateRecord
		wantErr bool
	}{
		{"sandbox", readStateTestdata(t, "containerd-sandbox-config.json"), StateRecord{Runtime: RuntimeContainerd, ID: "x", Pod: pod,
			Sandbox: true, SandboxID: "x", NetnsPath: "/var/run/netns/cni-44e45c20-3029-efdf-b4ab-f61567e3d1ba"}, false},
		{"container", readStateTestdata(t, "containerd-container-config.json"), StateRecord{Runtime: RuntimeContainerd, ID: "x", Name: "hostname",
			Image: "registry.k8s.io/e2e-test-images/agnhost:2.39", Pod: pod, SandboxID: sbID, NetnsPath: "/proc/232296/ns/net"}, false},
		{"hostNetwork sandbox", readStateTestdata(t, "containerd-hostnet-sandbox-config.json"), StateRecord{Runtime: RuntimeContainerd, ID: "x",
			Pod: &Pod{Namespace: "kube-system", Name: "kube-proxy-x7k2p", UID: "0b9d4c4e-2a57-4c1b-9d3f-8e6f2a1b7c55"}, Sandbox: true, SandboxID: "x", HostNetwork: true}, false},
		{"no linux section", `{"annotations":{}}`, StateRecord{Runtime: RuntimeContainerd, ID: "x"}, false},
		{"truncated", `{"annotations":{"io.kubernetes.cri.container-type":"sand`, StateRecord{}, true},
		{"annotations wrong type", `{"annotations":["a=b"]}`, StateRecord{}, true},
		{"namespaces wrong type", `{"linux":{"namespaces":{"type":"network"}}}`, StateRecord{}, true},
		{"empty", ``, StateRecord{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseOCIConfig(strings.NewReader(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrParse) {
					t.Errorf("%v does not wrap ErrParse", err)
				}
				return
			}
			ns, has := c.Netns()
			got := containerdRecord("x", c.Annotations, ns, has)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestReadCapped(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 50<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := readParsed(big, parseOCIConfig); !errors.Is(err, safefile.ErrTooLarge) {
		t.Errorf("50 MB file: err = %v, want safefile.ErrTooLarge", err)
	}
	if _, err := readParsed(filepath.Join(dir, "missing"), parseOCIConfig); !os.IsNotExist(err) {
		t.Errorf("missing file: err = %v, want not-exist", err)
	}
	pid := filepath.Join(dir, "init.pid")
	for in, want := range map[string]int{"1234\n": 1234, "x": 0, "-5": 0, "": 0} {
		os.WriteFile(pid, []byte(in), 0o644)
		if got := readPidFile(pid); got != want {
			t.Errorf("readPidFile(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzParseOCIConfig(f *testing.F) {
	for _, n := range []string{"containerd-sandbox-config.json", "containerd-container-config.json", "crio-container-config.json", "podman-pod-member-config.json"} {
		f.Add(readStateTestdata(f, n))
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := parseOCIConfig(strings.NewReader(s)); err == nil {
			ns, has := c.Netns()
			containerdRecord("x", c.Annotations, ns, has)
			userdataRecord("x", c)
		}
	})
}
