package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

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
