package runtime

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

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

// TestUserdataStateDrivers: config.json in the graph root, the pidfile in the
// run root, under a vfs store and an overlay store; names from each driver's
// containers.json; an unprivileged store is believed only for its own IDs.
func TestUserdataStateDrivers(t *testing.T) {
	host := t.TempDir()
	fs := testFS{ProcRoot: "/proc", HostRoot: host}
	cfg := `{"annotations":{"io.container.manager":"libpod","io.kubernetes.cri-o.SandboxID":"` + pmInfra + `"},"linux":{"namespaces":[{"type":"network","path":"/proc/4242/ns/net"}]}}`
	writeFile(t, host, "var/lib/containers/storage/vfs-containers/"+pmID+"/userdata/config.json", cfg)
	writeFile(t, host, "run/containers/storage/vfs-containers/"+pmID+"/userdata/pidfile", "4243")
	writeFile(t, host, "var/lib/containers/storage/vfs-containers/containers.json", `[{"id":"`+pmID+`","names":["web"],"metadata":"{\"image-name\":\"localhost/img:1\",\"name\":\"web\"}"}]`)
	other := "aa" + pmID[2:]
	writeFile(t, host, "alt/root/overlay-containers/"+other+"/userdata/config.json", `{"annotations":{"io.container.manager":"libpod"}}`)
	writeFile(t, host, "alt/run/overlay-containers/"+other+"/userdata/pidfile", "5000")
	writeFile(t, host, "alt/root/overlay-containers/containers.json", `[{"id":"`+other+`","names":["alt"]}]`)
	// A user's store claiming someone else's container.
	spoof := "bb" + pmID[2:]
	writeFile(t, host, "home/u/storage/vfs-containers/"+spoof+"/userdata/config.json", `{"annotations":{"io.container.manager":"libpod"}}`)
	writeFile(t, host, "home/u/storage/vfs-containers/containers.json", `[{"id":"`+spoof+`","names":["spoof"]},{"id":"`+pmID+`","names":["evil"]}]`)

	roots := []StorageRoot{{Graph: "/var/lib/containers/storage", Run: "/run/containers/storage"},
		{Graph: "/alt/root", Run: "/alt/run"},
		{Graph: "/home/u/storage", Run: "/home/u/run", IDs: map[string]bool{"cc" + pmID[2:]: true}}}
	recs, warns := UserdataState(fs, roots)
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	got := map[string]StateRecord{}
	for _, r := range recs {
		r.Source = ""
		got[r.ID] = r
	}
	want := map[string]StateRecord{
		pmID:  {Runtime: RuntimePodman, ID: pmID, SandboxID: pmInfra, NetnsPath: "/proc/4242/ns/net", InitPID: 4243},
		other: {Runtime: RuntimePodman, ID: other, InitPID: 5000},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("records (-want +got)\n%s", d)
	}
	names, _ := StorageNames(fs, roots)
	if names[pmID].Names[0] != "web" || names[other].Names[0] != "alt" {
		t.Errorf("names: %+v", names)
	}
	if _, ok := names[spoof]; ok {
		t.Errorf("an unprivileged store named a container it does not monitor: %+v", names[spoof])
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

// TestOCIRuntimeState: runc's state.json and crun's status, bare and under Podman.
func TestOCIRuntimeState(t *testing.T) {
	host := t.TempDir()
	fs := testFS{ProcRoot: "/proc", HostRoot: host}
	writeFile(t, host, "run/runc/kns-runc/state.json", `{"id":"kns-runc","init_process_pid":12129,"init_process_start":88000,"config":{"labels":["bundle=/tmp/b"]},"namespace_paths":{"NEWNET":"/proc/12129/ns/net"}}`)
	writeFile(t, host, "run/runc/"+pmID+"/state.json", `{"id":"`+pmID+`","init_process_pid":8584,"config":{"labels":["io.container.manager=libpod","bundle=/x"]}}`)
	// crun 1.8's status (real, e2e/runtimes) and the spec it keeps next to it.
	writeFile(t, host, "run/crun/kns-crun/status", `{"pid":12248,"process-start-time":88861,"cgroup-path":"/kns-crun","scope":"","rootfs":"rootfs","systemd-cgroup":false,"bundle":"/tmp/c","created":"2026-12-01T14:37:05.836599Z","owner":"root","detached":true}`)
	writeFile(t, host, "run/crun/kns-crun/config.json", `{"annotations":{}}`)
	writeFile(t, host, "run/crun/"+pmInfra+"/status", `{"pid":9000}`)
	writeFile(t, host, "run/crun/"+pmInfra+"/config.json", `{"annotations":{"io.container.manager":"libpod"}}`)
	writeFile(t, host, "run/docker/runtime-runc/moby/"+pmPod+"/state.json", `{"id":"`+pmPod+`","init_process_pid":7000}`)
	writeFile(t, host, "run/crun/bad/status", `{"pid":-3}`)
	recs, warns := OCIRuntimeState(fs)
	got := map[string]StateRecord{}
	for _, r := range recs {
		r.Source = ""
		got[r.ID] = r
	}
	want := map[string]StateRecord{
		"kns-runc": {Runtime: RuntimeRunc, ID: "kns-runc", InitPID: 12129, InitStart: 88000, NetnsPath: "/proc/12129/ns/net"},
		pmID:       {Runtime: RuntimePodman, ID: pmID, InitPID: 8584, Enrich: true},
		"kns-crun": {Runtime: RuntimeCrun, ID: "kns-crun", InitPID: 12248, InitStart: 88861},
		pmInfra:    {Runtime: RuntimePodman, ID: pmInfra, InitPID: 9000, Enrich: true},
		pmPod:      {Runtime: RuntimeDocker, ID: pmPod, InitPID: 7000, Enrich: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if len(warns) != 1 {
		t.Errorf("warnings %v, want one for the bad status", warns)
	}
}

func TestLXCState(t *testing.T) {
	host := t.TempDir()
	writeFile(t, host, "var/lib/lxc/web-1/config", "lxc.uts.name = \"web-1\"\n")
	recs, _ := LXCState(testFS{ProcRoot: "/proc", HostRoot: host})
	if len(recs) != 1 || recs[0].ID != "web-1" || recs[0].Name != "web-1" || !recs[0].Enrich {
		t.Errorf("got %+v", recs)
	}
}
