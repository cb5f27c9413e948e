//go:build linux

package inspect

import (
	"bufio"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestProgramName(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"absolute", "/usr/sbin/sshd\x00-D\x00", "sshd"},
		{"relative", "nginx: master process /usr/sbin/nginx\x00", "nginx: master process /usr/sbin/nginx"},
		{"bare", "sleep\x00600\x00", "sleep"},
		{"empty", "", ""},
		{"trailing slash", "/usr/bin/\x00", ""},
		{"no NUL, setproctitle", "/usr/bin/python3 /srv/app.py", "app.py"},
		{"dot relative", "./hack/listen\x00", "./hack/listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := programName([]byte(tc.in)); got != tc.want {
				t.Errorf("programName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestBracketInode(t *testing.T) {
	for _, tc := range []struct {
		name, in, prefix string
		want             uint64
		ok               bool
	}{
		{"socket", "socket:[12345]", "socket:[", 12345, true},
		{"net", "net:[4026531840]", "net:[", 4026531840, true},
		{"pipe", "pipe:[12345]", "socket:[", 0, false},
		{"no close", "socket:[12345", "socket:[", 0, false},
		{"empty digits", "socket:[]", "socket:[", 0, false},
		{"letters", "socket:[12a45]", "socket:[", 0, false},
		{"path", "/dev/null", "socket:[", 0, false},
		{"too long", "socket:[123456789012345678901]", "socket:[", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := bracketInode([]byte(tc.in), tc.prefix)
			if got != tc.want || ok != tc.ok {
				t.Errorf("bracketInode(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestParseStat(t *testing.T) {
	const good = "1234 (my (odd) prog) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 100 18446744073709551615\n"
	type res struct {
		Comm        string
		PPID        int
		Flags       uint32
		Start       uint64
		ErrIsParse  bool
		ErrNotEmpty bool
	}
	for _, tc := range []struct {
		name string
		in   string
		want res
	}{
		{"good", good, res{Comm: "my (odd) prog", PPID: 1, Flags: 4194560, Start: 98765}},
		{"kthread", "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0\n", res{Comm: "kthreadd", Flags: 0x208040, Start: 3}},
		{"no comm", "1234 prog S 1", res{ErrIsParse: true, ErrNotEmpty: true}},
		{"short", "1234 (p) S 1 2 3", res{Comm: "p", ErrIsParse: true, ErrNotEmpty: true}},
		{"bad ppid", strings.Replace(good, ") S 1 ", ") S x ", 1), res{Comm: "my (odd) prog", ErrIsParse: true, ErrNotEmpty: true}},
		{"bad flags", strings.Replace(good, "4194560", "-5", 1), res{Comm: "my (odd) prog", ErrIsParse: true, ErrNotEmpty: true}},
		{"bad starttime", strings.Replace(good, "98765", "nope", 1), res{Comm: "my (odd) prog", ErrIsParse: true, ErrNotEmpty: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &ProcEntry{Proc: &Process{}}
			err := parseStatInto([]byte(tc.in), e)
			got := res{Comm: e.Proc.Comm, PPID: e.PPID, Flags: e.Flags, Start: e.StartTime,
				ErrIsParse: errors.Is(err, ErrParse), ErrNotEmpty: err != nil}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestParseNSpid(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []int
	}{
		{"nested", "Name:\tsleep\nNSpid:\t12721\t1\nNSsid:\t1\n", []int{12721, 1}},
		{"flat", "Name:\tsleep\nNSpid:\t42\n", []int{42}},
		{"missing", "Name:\tsleep\n", nil},
		{"garbage", "Name:\tx\nNSpid:\t1\tx\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, parseNSpid([]byte(tc.in))); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1234 (my (odd) prog) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000\n"))
	f.Add([]byte("1 ()"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e := &ProcEntry{Proc: &Process{}}
		_ = parseStatInto(b, e)
		_ = parseNSpid(b)
		_ = programName(b)
	})
}

func scanSkipUnlessRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: reads every /proc/PID/fd and creates namespaces")
	}
}

func scanSocketInode(t *testing.T, c syscall.Conn) uint64 {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ino uint64
	rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		if err := unix.Fstat(int(fd), &st); err == nil {
			ino = st.Ino
		}
	})
	if ino == 0 {
		t.Fatal("no socket inode")
	}
	return ino
}

// scanStartHolder starts `sleep` with extra open files and waits until it has exec'd.
func scanStartHolder(t *testing.T, name string, args []string, files ...*os.File) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.ExtraFiles = files
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	scanWaitExec(t, cmd.Process.Pid, name)
	return cmd
}

// scanWaitExec waits until /proc/PID/comm no longer shows the Go test binary.
func scanWaitExec(t *testing.T, pid int, name string) {
	t.Helper()
	want := name
	if i := strings.LastIndexByte(want, '/'); i >= 0 {
		want = want[i+1:]
	}
	if len(want) > 15 {
		want = want[:15]
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if strings.TrimSpace(string(b)) == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("pid %d never became %s", pid, want)
}

func TestScanProcsOwner(t *testing.T) {
	scanSkipUnlessRoot(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ino := scanSocketInode(t, ln.(*net.TCPListener))
	lf, err := ln.(*net.TCPListener).File() // a dup: same socket inode
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	child := scanStartHolder(t, "/usr/bin/sleep", []string{"30"}, lf)

	fs, err := NewFS("/proc", "/")
	if err != nil {
		t.Fatal(err)
	}
	tab, err := fs.ScanProcs(ScanOptions{Sockets: true})
	if err != nil {
		t.Fatal(err)
	}
	if !tab.SocketsRecorded() {
		t.Fatal("SocketsRecorded() = false after a root scan")
	}
	want := min(os.Getpid(), child.Process.Pid)
	p := tab.Owner(ino)
	if p == nil || p.PID != want {
		t.Fatalf("Owner(%d) = %+v, want PID %d (lowest holder)", ino, p, want)
	}
	if e := tab.Entry(child.Process.Pid); e == nil || e.Proc.Name != "sleep" || e.Proc.Comm != "sleep" {
		t.Errorf("child entry = %+v, want Name and Comm sleep", e)
	}
	if tab.Owner(1) != nil || tab.Owner(0) != nil {
		t.Error("Owner of an unknown inode is not nil")
	}
	self := tab.Entry(os.Getpid())
	if self == nil || self.NetnsIno != tab.SelfNetnsIno || len(self.NSpid) != 1 || self.NSpid[0] != os.Getpid() {
		t.Errorf("self entry = %+v (self netns %d)", self, tab.SelfNetnsIno)
	}

	// The real netstat must name the same PID/program for the listener.
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	cmd := exec.Command("netstat", "-tlnp")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("netstat not usable: %v", err)
	}
	if notice := strings.Contains(stderr.String(), "(Not all processes"); notice != tab.Denied {
		t.Errorf("Denied = %v but netstat's notice present = %v (stderr %q)", tab.Denied, notice, stderr.String())
	}
	found := false
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 7 && f[3] == "127.0.0.1:"+port {
			found = true
			if wantCol := strconv.Itoa(p.PID) + "/" + p.Name; !strings.HasPrefix(wantCol, f[6]) && f[6] != wantCol {
				t.Errorf("netstat says %q, scan says %q", f[6], wantCol)
			}
		}
	}
	if !found {
		t.Errorf("netstat -tlnp has no 127.0.0.1:%s line:\n%s", port, out)
	}
}

func TestScanProcsNamespaces(t *testing.T) {
	scanSkipUnlessRoot(t)
	// A process in its own network and pid namespaces: unshare forks, so the
	// sleep is unshare's child and NSpid ends in 1.
	ns := scanStartHolder(t, "unshare", []string{"-n", "-p", "-f", "sleep", "30"})
	var inner int
	deadline := time.Now().Add(5 * time.Second)
	for inner == 0 && time.Now().Before(deadline) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(ns.Process.Pid) + "/task/" + strconv.Itoa(ns.Process.Pid) + "/children")
		if f := strings.Fields(string(b)); len(f) > 0 {
			inner, _ = strconv.Atoi(f[0])
		}
		time.Sleep(5 * time.Millisecond)
	}
	if inner == 0 {
		t.Fatal("unshare -p -f has no child")
	}
	scanWaitExec(t, inner, "sleep")
	nsf, err := os.Open("/proc/" + strconv.Itoa(inner) + "/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer nsf.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(nsf.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	// A second process holds the namespace only through fd 3.
	holder := scanStartHolder(t, "/usr/bin/sleep", []string{"30"}, nsf)

	fs, _ := NewFS("/proc", "/")
	tab, err := fs.ScanProcs(ScanOptions{Sockets: true})
	if err != nil {
		t.Fatal(err)
	}
	e := tab.Entry(inner)
	if e == nil {
		t.Fatalf("pid %d not scanned", inner)
	}
	if d := cmp.Diff([]int{inner, 1}, e.NSpid); d != "" {
		t.Errorf("NSpid (-want +got)\n%s", d)
	}
	if e.NetnsIno != st.Ino || e.NetnsDev != st.Dev || e.NetnsIno == tab.SelfNetnsIno {
		t.Errorf("netns = %d:%d, want %d:%d (not self %d)", e.NetnsDev, e.NetnsIno, st.Dev, st.Ino, tab.SelfNetnsIno)
	}
	h := tab.Entry(holder.Process.Pid)
	if h == nil {
		t.Fatal("holder not scanned")
	}
	if d := cmp.Diff([]NetnsFd{{FD: 3, Inode: st.Ino}}, h.NetnsFds); d != "" {
		t.Errorf("holder NetnsFds (-want +got)\n%s", d)
	}
	if len(e.Cgroup) == 0 {
		t.Error("no cgroup lines read")
	}
}

func TestScanProcsBadRoot(t *testing.T) {
	fs := FS{ProcRoot: t.TempDir() + "/missing", HostRoot: "/"}
	if _, err := fs.ScanProcs(ScanOptions{}); err == nil {
		t.Fatal("scan of a missing proc root succeeded")
	}
	// A proc root with no PID dirs is an empty table, not an error.
	fs.ProcRoot = t.TempDir()
	tab, err := fs.ScanProcs(ScanOptions{Sockets: true})
	if err != nil || len(tab.Procs) != 0 {
		t.Fatalf("empty root: %v, %d procs", err, len(tab.Procs))
	}
}

func BenchmarkScanProcs(b *testing.B) {
	scanSkipUnlessRoot(b)
	fs, _ := NewFS("/proc", "/")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fs.ScanProcs(ScanOptions{Sockets: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestScanProcsHelperNobody is run by TestScanProcsDeniedLikeNetstat as user
// nobody; it reports what the scan saw for netstat's -p notices.
func TestScanProcsHelperNobody(t *testing.T) {
	if os.Getenv("NETSTAT_SCAN_HELPER") != "1" {
		t.Skip("helper process only")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ino := scanSocketInode(t, ln.(*net.TCPListener))
	fs, _ := NewFS("/proc", "/")
	tab, err := fs.ScanProcs(ScanOptions{Sockets: true})
	if err != nil {
		t.Fatal(err)
	}
	p := tab.Owner(ino)
	// netstat, run now as the same user while the listener is open, decides
	// which notice applies.
	nout, _ := exec.Command("netstat", "-tlnp").CombinedOutput()
	os.Stdout.WriteString("RESULT denied=" + strconv.FormatBool(tab.Denied) + " recorded=" + strconv.FormatBool(tab.SocketsRecorded()) +
		" own=" + strconv.FormatBool(p != nil && p.PID == os.Getpid()) +
		" netstat-notall=" + strconv.FormatBool(strings.Contains(string(nout), "(Not all processes could be identified")) + "\n")
}

// TestScanProcsDeniedLikeNetstat checks the EACCES bookkeeping against the
// real netstat: run as nobody, both must see "not all processes".
func TestScanProcsDeniedLikeNetstat(t *testing.T) {
	scanSkipUnlessRoot(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv not installed")
	}
	dir, err := os.MkdirTemp("", "scan-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := dir + "/inspect.test"
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	asNobody := func(args ...string) *exec.Cmd {
		c := exec.Command("setpriv", append([]string{"--reuid", "65534", "--regid", "65534", "--clear-groups", "--"}, args...)...)
		c.Env = append(os.Environ(), "NETSTAT_SCAN_HELPER=1")
		c.Dir = dir
		return c
	}
	out, err := asNobody(bin, "-test.run", "^TestScanProcsHelperNobody$", "-test.v").CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "RESULT denied=true recorded=true own=true netstat-notall=true") {
		t.Errorf("scan as nobody: want denied, a recorded socket, its own listener, and netstat agreeing; got\n%s", out)
	}
}

// TestScanProcsChurn scans while processes start and exit; vanished processes
// must be skipped silently and every kept entry must be self-consistent.
func TestScanProcsChurn(t *testing.T) {
	scanSkipUnlessRoot(t)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			c := exec.Command("true")
			if c.Start() == nil {
				c.Wait()
			}
		}
	}()
	fs, _ := NewFS("/proc", "/")
	// A count of scans, not a second of them: on a loaded machine one scan
	// may take longer than a second, which is slow, not wrong.
	scans := 0
	for scans < 5 {
		tab, err := fs.ScanProcs(ScanOptions{Sockets: true})
		if err != nil {
			t.Fatalf("scan %d: %v", scans, err)
		}
		prev := 0
		for _, e := range tab.Procs {
			if e.Proc.PID <= prev {
				t.Fatalf("PIDs not ascending: %d after %d", e.Proc.PID, prev)
			}
			prev = e.Proc.PID
			if e.NSpid[0] != e.Proc.PID {
				t.Fatalf("pid %d: NSpid %v", e.Proc.PID, e.NSpid)
			}
		}
		scans++
	}
	close(stop)
	<-done
	t.Logf("%d scans under fork churn, PIDs ascending in each", scans)
}

// BenchmarkScanProcsSockets measures the fd walk with many sockets in one
// process, where per-fd allocations would show.
func BenchmarkScanProcsSockets(b *testing.B) {
	scanSkipUnlessRoot(b)
	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
	n := 5000
	if int(rl.Cur) < 2*n+100 {
		b.Skipf("RLIMIT_NOFILE %d too low", rl.Cur)
	}
	for i := 0; i < n; i++ {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer unix.Close(fds[0])
		defer unix.Close(fds[1])
	}
	fs, _ := NewFS("/proc", "/")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fs.ScanProcs(ScanOptions{Sockets: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// Issue 11, item 6: a namespace held only by another process's fd must be
// discovered whatever the output flags (Discover without Sockets, as -tln,
// -tan and `namespaces` run it), also when the fd was opened through a bind
// mount that is gone since (its link then reads "/", not net:[N]).
func TestDiscoverFdHeldNetnsWithoutSockets(t *testing.T) {
	scanSkipUnlessRoot(t)
	name := "kns-fdheld-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano()%100000, 10)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	viaMount, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(viaMount.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	scanStartHolder(t, "sleep", []string{"60"}, viaMount)
	viaMount.Close()
	if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns del: %v: %s", err, out)
	}
	fs, _ := NewFS("/proc", "/")
	for _, opt := range []DiscoverOptions{{}, {Sockets: true}} {
		inv, err := fs.Discover(opt)
		if err != nil {
			t.Fatal(err)
		}
		ns := inv.NetnsOf(st.Ino)
		if ns == nil {
			t.Errorf("Discover(%+v): fd-held netns %d not found", opt, st.Ino)
			continue
		}
		if !strings.Contains(ns.Path, "/fd/") {
			t.Errorf("Discover(%+v): netns %d path %q, want a /proc/PID/fd/N", opt, st.Ino, ns.Path)
		}
	}
}
