package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

const (
	pmID    = "1cf67400d089cd8ef38ef28f99c8f5b3b1ad9c7da360995efd69aa54bda60d5a"
	pmInfra = "7f2f6e091d9129488af2e6bb8f839b573554a8dec15e118cb28eab6789722d41"
	pmPod   = "4392ac9e9ce7230266cbb1be5aeb93beb9575cc335091770caabd32645200bed"
)

// A real rootful Podman 4.3 conmon command line (e2e/runtimes), NUL-separated.
func conmonCmdline(id, name, graph, run string) []byte {
	args := []string{"/usr/bin/conmon", "--api-version", "1", "-c", id, "-u", id, "-r", "/usr/bin/runc",
		"-b", graph + "/vfs-containers/" + id + "/userdata", "-p", run + "/vfs-containers/" + id + "/userdata/pidfile",
		"-n", name, "--exit-dir", "/run/libpod/exits", "--full-attach", "-l", "k8s-file:" + graph + "/vfs-containers/" + id + "/userdata/ctr.log",
		"--exit-command", "/usr/bin/podman", "--exit-command-arg", "--root", "--exit-command-arg", graph,
		"--exit-command-arg", "--runroot", "--exit-command-arg", run, "--exit-command-arg", "--network-config-dir", "--exit-command-arg", "",
		"--exit-command-arg", "container", "--exit-command-arg", "cleanup", "--exit-command-arg", id}
	var b []byte
	for _, a := range args {
		b = append(append(b, a...), 0)
	}
	return b
}

func TestParseConmonCmdline(t *testing.T) {
	got := parseConmonCmdline(conmonCmdline(pmID, "web", "/var/lib/containers/storage", "/run/containers/storage"))
	want := conmonArgs{ID: pmID, Name: "web", Bundle: "/var/lib/containers/storage/vfs-containers/" + pmID + "/userdata",
		PidFile: "/run/containers/storage/vfs-containers/" + pmID + "/userdata/pidfile", Graph: "/var/lib/containers/storage", Run: "/run/containers/storage"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if a := parseConmonCmdline([]byte("conmon\x00-c")); a.ID != "" {
		t.Errorf("truncated: %+v", a)
	}
}

func TestParseStorageContainers(t *testing.T) {
	list, err := parseStorageContainers(strings.NewReader(readStateTestdata(t, "containers.json")))
	if err != nil || len(list) != 2 {
		t.Fatalf("got %d entries, %v", len(list), err)
	}
	pm := StateRecord{Runtime: RuntimePodman, ID: list[0].ID}
	ApplyStorageName(&pm, list[0])
	if d := cmp.Diff(StateRecord{Runtime: RuntimePodman, ID: list[0].ID, Name: "web", Image: "docker.io/library/nginx:latest"}, pm); d != "" {
		t.Errorf("podman (-want +got)\n%s", d)
	}
	cr := StateRecord{Runtime: RuntimeCRIO, ID: list[1].ID}
	ApplyStorageName(&cr, list[1])
	want := StateRecord{Runtime: RuntimeCRIO, ID: list[1].ID, Name: "app", Pod: &Pod{Namespace: "prod", Name: "api-6d4f", UID: "63b3ebfc-2890-11e9-8154-16bf8ef8d9dc"}}
	if d := cmp.Diff(want, cr); d != "" {
		t.Errorf("cri-o (-want +got)\n%s", d)
	}
	// A bad metadata string degrades to no metadata.
	bad := StateRecord{Runtime: RuntimePodman}
	ApplyStorageName(&bad, StorageContainer{Names: []string{"n"}, Metadata: "{not json"})
	if bad.Name != "n" {
		t.Errorf("bad metadata: name %q", bad.Name)
	}
	for name, in := range map[string]string{
		"object not list": `{"id":"a"}`,
		"names not list":  `[{"id":"a","names":"web"}]`,
		"metadata object": `[{"id":"a","metadata":{"name":"x"}}]`,
		"truncated":       `[{"id":"a"`,
	} {
		if _, err := parseStorageContainers(strings.NewReader(in)); !errors.Is(err, ErrParse) {
			t.Errorf("%s: err = %v, want ErrParse", name, err)
		}
	}
}

// TestPodmanBoltPods reads a bolt database of Podman 4's layout (buckets as
// a real bolt_state.db from e2e/runtimes holds them).
func TestPodmanBoltPods(t *testing.T) {
	host := t.TempDir()
	p := filepath.Join(host, "var/lib/containers/storage/libpod/bolt_state.db")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(p, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		all, _ := tx.CreateBucket([]byte("allPods"))
		_ = all.Put([]byte(pmPod), []byte("kns-pod"))
		pods, _ := tx.CreateBucket([]byte("pod"))
		pb, _ := pods.CreateBucket([]byte(pmPod))
		st, _ := json.Marshal(map[string]string{"cgroupPath": "/libpod_parent/" + pmPod, "InfraContainerID": pmInfra})
		_ = pb.Put([]byte("state"), st)
		ctrs, _ := tx.CreateBucket([]byte("ctr"))
		for _, id := range []string{pmInfra, pmID} {
			b, _ := ctrs.CreateBucket([]byte(id))
			_ = b.Put([]byte("pod-id"), []byte(pmPod))
		}
		b, _ := ctrs.CreateBucket([]byte("cc" + pmID[2:])) // not in a pod
		return b.Put([]byte("config"), []byte("{}"))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	fs := testFS{ProcRoot: "/proc", HostRoot: host}
	got, warns := PodmanPods(fs, defaultStorageRoots)
	want := map[string]PodmanPodInfo{pmInfra: {PodID: pmPod, PodName: "kns-pod", Infra: true}, pmID: {PodID: pmPod, PodName: "kns-pod"}}
	if d := cmp.Diff(want, got); d != "" || len(warns) != 0 {
		t.Errorf("(-want +got)\n%s\nwarnings %v", d, warns)
	}
	// A user's database (not root's) is read from a private copy: same answer.
	if os.Geteuid() == 0 {
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		got, warns = PodmanPods(fs, defaultStorageRoots)
		if d := cmp.Diff(want, got); d != "" || len(warns) != 0 {
			t.Errorf("user's database (-want +got)\n%s\nwarnings %v", d, warns)
		}
	}
	// Garbage is a warning, never a crash or a hang.
	if err := os.WriteFile(p, []byte("not a bolt database at all, but long enough to have a page header......"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, warns := PodmanPods(fs, defaultStorageRoots); len(got) != 0 || len(warns) != 1 {
		t.Errorf("garbage: %v, warnings %v", got, warns)
	}
}

func FuzzParseStorageContainers(f *testing.F) {
	f.Add(readStateTestdata(f, "containers.json"))
	f.Fuzz(func(t *testing.T, s string) {
		list, err := parseStorageContainers(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, c := range list {
			r := StateRecord{Runtime: RuntimeCRIO}
			ApplyStorageName(&r, c)
			r.Runtime = RuntimePodman
			ApplyStorageName(&r, c)
		}
	})
}
