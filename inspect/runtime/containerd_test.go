package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

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

func TestParseRuncState(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		wantPID  int
		wantName string
		wantNet  string
		bundle   string
		wantErr  bool
	}{
		{"real", readStateTestdata(t, "runc-state.json"), 232340, "hostname", "/proc/232296/ns/net",
			"/run/containerd/io.containerd.runtime.v2.task/k8s.io/6a825448c5ef07ac0c3b99532b18bdec0e1d0bb1eb41b4672d570634a1409a85", false},
		{"label without =", `{"init_process_pid":1,"config":{"labels":["novalue","a=b=c"]}}`, 1, "", "", "", false},
		{"negative pid", `{"init_process_pid":-1}`, 0, "", "", "", true},
		{"pid as string", `{"init_process_pid":"12"}`, 0, "", "", "", true},
		{"labels not list", `{"config":{"labels":"x=y"}}`, 0, "", "", "", true},
		{"garbage", `}{`, 0, "", "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseRuncState(strings.NewReader(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrParse) {
					t.Errorf("%v does not wrap ErrParse", err)
				}
				return
			}
			a := s.Annotations()
			got := []string{a[annCRIName], s.NamespacePaths["NEWNET"], a["bundle"]}
			if d := cmp.Diff([]string{tc.wantName, tc.wantNet, tc.bundle}, got); d != "" || s.InitPID != tc.wantPID {
				t.Errorf("pid %d (want %d) (-want +got)\n%s", s.InitPID, tc.wantPID, d)
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

func FuzzParseRuncState(f *testing.F) {
	f.Add(readStateTestdata(f, "runc-state.json"))
	f.Fuzz(func(t *testing.T, s string) {
		if st, err := parseRuncState(strings.NewReader(s)); err == nil {
			st.Annotations()
		}
	})
}

// writeMetaDB writes a containerd-shaped metadata database:
// v1/<ns>/containers/<id>/image for each "ns/id" key.
func writeMetaDB(t *testing.T, path string, images map[string]string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		v1, err := tx.CreateBucketIfNotExists([]byte("v1"))
		if err != nil {
			return err
		}
		for key, img := range images {
			ns, id, _ := strings.Cut(key, "/")
			b, err := v1.CreateBucketIfNotExists([]byte(ns))
			if err != nil {
				return err
			}
			cs, err := b.CreateBucketIfNotExists([]byte("containers"))
			if err != nil {
				return err
			}
			c, err := cs.CreateBucket([]byte(id))
			if err != nil {
				return err
			}
			if err := c.Put([]byte("image"), []byte(img)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A containerd 1.6 sandbox bundle names no image; the image comes from the
// metadata database of the root its "work" link points into — read while
// the database is held open (and flock'ed) by a writer, as containerd does.
// containerd ≥ 1.7's sandbox annotation wins when present.
func TestContainerdSandboxImage(t *testing.T) {
	host := t.TempDir()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the database copy goes; must be empty after
	fs := testFS{ProcRoot: "/proc", HostRoot: host}
	const root = "/var/lib/rancher/k3s/agent/containerd"
	sb16, sb17, app := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
	bundle := func(id, ann string) {
		dir := fs.Host("/run/k3s/containerd", "io.containerd.runtime.v2.task", "k8s.io", id)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"annotations":{`+ann+`},"linux":{"namespaces":[{"type":"network","path":"/var/run/netns/cni-1"}]}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		// containerd writes the link with the host path; --host-root maps it.
		if err := os.Symlink(filepath.Join(root, "io.containerd.runtime.v2.task", "k8s.io", id), filepath.Join(dir, "work")); err != nil {
			t.Fatal(err)
		}
	}
	bundle(sb16, `"io.kubernetes.cri.container-type":"sandbox"`)
	bundle(sb17, `"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.podsandbox.image-name":"registry.k8s.io/pause:3.10"`)
	bundle(app, `"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.image-name":"docker.io/library/nginx:1"`)
	meta := fs.Host(root, "io.containerd.metadata.v1.bolt", "meta.db")
	writeMetaDB(t, meta, map[string]string{"k8s.io/" + sb16: "localhost/pause:local", "k8s.io/" + sb17: "ignored:1", "moby/" + sb16: "other:1"})
	// Hold the database open like a running containerd: an exclusive flock.
	held, err := bolt.Open(meta, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	recs, warns := ContainerdState(fs)
	got := map[string]string{}
	for _, r := range recs {
		got[r.ID] = r.Image
	}
	want := map[string]string{sb16: "localhost/pause:local", sb17: "registry.k8s.io/pause:3.10", app: "docker.io/library/nginx:1"}
	if d := cmp.Diff(want, got); d != "" || len(warns) > 0 {
		t.Errorf("images (-want +got)\n%s\nwarnings %q", d, warns)
	}
	tmps, _ := filepath.Glob(filepath.Join(tmp, "*"))
	for _, p := range tmps {
		t.Errorf("copy of the metadata database left behind: %s", p)
	}

	// A garbage database or a link outside a runtime dir gives no image and no panic.
	if err := os.WriteFile(meta+".bad", []byte(strings.Repeat("\xff", 8192)), 0o600); err != nil {
		t.Fatal(err)
	}
	if imgs, err := readContainerdMeta(meta + ".bad"); err == nil || len(imgs) != 0 {
		t.Errorf("garbage meta.db: %v %v, want an error", imgs, err)
	}
	if img := (containerdMeta{}).image(fs, t.TempDir(), "k8s.io", sb16); img != "" {
		t.Errorf("bundle without a work link: image %q", img)
	}
}
