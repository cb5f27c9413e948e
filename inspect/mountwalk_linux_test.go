package inspect

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNsfsMountsWalkMatchesRead builds more mount namespaces than
// mountWalkMin, most of them copies of this one (as `ip netns exec` makes),
// and three that hold netns mounts nobody else has: a bind mount in a
// private mount namespace, the same netns bound at another path, and
// /run/netns bound recursively under another directory (the same mount-point
// dentries under another parent). The in-kernel walk must pick the files to
// read so that the result is identical to reading every mountinfo, while
// reading fewer of them.
func TestNsfsMountsWalkMatchesRead(t *testing.T) {
	scanSkipUnlessRoot(t)
	requireBPFOwners(t)
	for _, c := range []string{"ip", "unshare", "sh", "sleep", "mount"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("needs %s", c)
		}
	}
	name := "kns-walk-" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", name).Run() })
	dir := t.TempDir()
	start := func(args ...string) {
		t.Helper()
		cmd := exec.Command("unshare", args...)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		scanWaitExec(t, cmd.Process.Pid, "sleep")
	}
	for range mountWalkMin + 6 {
		start("-m", "--propagation", "slave", "sleep", "600")
	}
	// A netns only this mount namespace has (of a short-lived process).
	tmp := exec.Command("unshare", "-n", "sleep", "600")
	if err := tmp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tmp.Process.Kill(); tmp.Wait() })
	scanWaitExec(t, tmp.Process.Pid, "sleep")
	private := filepath.Join(dir, "private")
	alias := filepath.Join(dir, "alias")
	rbind := filepath.Join(dir, "rbind")
	for _, p := range []string{private, alias} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(rbind, 0o755); err != nil {
		t.Fatal(err)
	}
	start("-m", "--propagation", "private", "sh", "-c", `mount --bind "$1" "$2" && exec sleep 600`, "sh",
		"/proc/"+strconv.Itoa(tmp.Process.Pid)+"/ns/net", private)
	tmp.Process.Kill()
	tmp.Wait()
	start("-m", "--propagation", "slave", "sh", "-c", `mount --bind "$1" "$2" && exec sleep 600`, "sh",
		"/run/netns/"+name, alias)
	start("-m", "--propagation", "slave", "sh", "-c", `mount --rbind /run/netns "$1" && exec sleep 600`, "sh", rbind)
	for range 3 {
		start("-m", "--propagation", "slave", "sleep", "600")
	}

	fs, _ := NewFS("/proc", "/")
	tab, err := fs.ScanProcs(ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.mountsToRead(); err != nil {
		t.Fatalf("mount walk does not load as root with BTF: %v", err)
	}
	// Other jobs may add or remove netns mounts between the two reads:
	// only this test's are compared.
	ours := func(ms []NsfsMount) []NsfsMount {
		var out []NsfsMount
		for _, m := range ms {
			if strings.HasPrefix(m.MountPoint, dir+"/") || m.MountPoint == "/run/netns/"+name {
				out = append(out, m)
			}
		}
		return out
	}
	all, wAll, nAll := fs.nsfsMountsWith(context.Background(), tab, false)
	picked, wPicked, nPicked := fs.nsfsMountsWith(context.Background(), tab, true)
	all, picked = ours(all), ours(picked)
	if d := cmp.Diff(all, picked); d != "" {
		t.Errorf("walk-picked mounts differ from reading every mountinfo (-all +picked):\n%s", d)
	}
	if len(wAll) != len(wPicked) {
		t.Errorf("warnings: %v, walk-picked %v", wAll, wPicked)
	}
	want := map[string]bool{private: false, alias: false, filepath.Join(rbind, name): false, "/run/netns/" + name: false}
	for _, m := range picked {
		if _, ok := want[m.MountPoint]; ok {
			want[m.MountPoint] = true
		}
	}
	for p, ok := range want {
		if !ok {
			t.Errorf("netns mount %s not found", p)
		}
	}
	if nPicked >= nAll || nPicked > 10 {
		t.Errorf("read %d mountinfo files with the walk, %d without: want far fewer", nPicked, nAll)
	}
	t.Logf("%d mounts; mountinfo files read: %d of %d", len(picked), nPicked, nAll)
}
