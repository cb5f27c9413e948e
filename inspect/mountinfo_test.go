//go:build linux

package inspect

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readStateTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "state", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseMountinfoNsfs(t *testing.T) {
	got, err := parseMountinfoNsfs(strings.NewReader(readStateTestdata(t, "mountinfo-netns.txt")))
	if err != nil {
		t.Fatal(err)
	}
	want := []NsfsMount{
		{Inode: 4026535774, MountPoint: "/run/netns/probe-ns2"},
		{Inode: 4026535775, MountPoint: "/run/netns/with space"},
		{Inode: 4026535776, MountPoint: "/var/run/docker/netns/75c43685d9ba"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

func TestParseMountinfoNsfsLine(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    NsfsMount
		ok      bool
		wantErr bool
	}{
		{"netns", "90 41 0:4 net:[4026535774] /run/netns/probe-ns2 rw shared:4 - nsfs nsfs rw", NsfsMount{Inode: 4026535774, MountPoint: "/run/netns/probe-ns2"}, true, false},
		{"other fs", "25 30 0:23 / /proc rw - proc proc rw", NsfsMount{}, false, false},
		{"other ns type", "92 41 0:4 uts:[4026535800] /run/utsns/x rw - nsfs nsfs rw", NsfsMount{}, false, false},
		{"bad root inode", "92 41 0:4 net:[40265x] /run/netns/x rw - nsfs nsfs rw", NsfsMount{}, false, false},
		{"no separator", "90 41 0:4 net:[1] /run/netns/x rw nsfs nsfs rw", NsfsMount{}, false, true},
		{"too few fields", "90 41 0:4 net:[1] - nsfs nsfs rw", NsfsMount{}, false, true},
		{"no fstype", "90 41 0:4 net:[1] /x rw - ", NsfsMount{}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := parseMountinfoNsfsLine(tc.in)
			if (err != nil) != tc.wantErr || ok != tc.ok {
				t.Fatalf("ok %v err %v; want ok %v wantErr %v", ok, err, tc.ok, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrParse) {
				t.Errorf("%v does not wrap ErrParse", err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func FuzzParseMountinfoNsfs(f *testing.F) {
	f.Add(readStateTestdata(f, "mountinfo-netns.txt"))
	f.Fuzz(func(t *testing.T, s string) {
		parseMountinfoNsfs(strings.NewReader(s))
		unescapeMountinfo(s)
	})
}

// FuzzParseMountinfoNsfsBytes: on input the line parser accepts, the byte
// filter used by NsfsMounts finds the same mounts.
func FuzzParseMountinfoNsfsBytes(f *testing.F) {
	f.Add(readStateTestdata(f, "mountinfo-netns.txt"))
	f.Fuzz(func(t *testing.T, s string) {
		want, err := parseMountinfoNsfs(strings.NewReader(s))
		got, _ := parseMountinfoNsfsBytes([]byte(s))
		if err == nil && !strings.Contains(s, "\r") {
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-reader +bytes)\n%s", d)
			}
		}
	})
}

// TestNsfsMountsDedup: bind mounts seen from many mount namespaces come back
// once each, with the scanner's direct path. Real `ip netns` namespaces and
// processes in new mount namespaces that see them by propagation.
func TestNsfsMountsDedup(t *testing.T) {
	scanSkipUnlessRoot(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip (iproute2)")
	}
	name := "kns-dedup-" + strconv.Itoa(os.Getpid())
	var nss []string
	for i := range 3 {
		n := name + "-" + strconv.Itoa(i)
		if out, err := exec.Command("ip", "netns", "add", n).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "delete", n).Run() })
		nss = append(nss, n)
	}
	// Each `ip netns exec` runs in a new mount namespace that lists every /run/netns mount.
	for _, n := range nss {
		cmd := exec.Command("ip", "netns", "exec", n, "sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		scanWaitExec(t, cmd.Process.Pid, "sleep")
	}
	fs, _ := NewFS("/proc", "/")
	tab, err := fs.ScanProcs(ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := fs.NsfsMounts(tab)
	count := map[string]int{}
	for _, m := range ms {
		if strings.HasPrefix(m.MountPoint, "/run/netns/"+name) {
			count[m.MountPoint]++
			if m.Path != m.MountPoint {
				t.Errorf("%s: path %s, want the direct mount point", m.MountPoint, m.Path)
			}
		}
	}
	for _, n := range nss {
		if c := count["/run/netns/"+n]; c != 1 {
			t.Errorf("/run/netns/%s listed %d times, want 1", n, c)
		}
	}
}
