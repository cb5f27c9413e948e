package inspect

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/bpfowner"
	"golang.org/x/sys/unix"
)

const holderEnv = "KNS_OWNER_HOLDER"

// TestOwnerHolderProcess is not a test: it is the body of the holder
// processes TestOwnersBPFMatchesProcWalk starts (the test binary re-executed).
// It opens two sockets, then filler fds, then more sockets late in its fd
// table, prints the inode of every socket it holds and waits for stdin to close.
func TestOwnerHolderProcess(t *testing.T) {
	if os.Getenv(holderEnv) != "1" {
		t.Skip("helper process only")
	}
	var keep []any
	must := func(v any, err error) {
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		keep = append(keep, v)
	}
	must(net.Listen("tcp4", "0.0.0.0:0"))
	must(net.ListenPacket("udp4", "0.0.0.0:0"))
	fill, _ := strconv.Atoi(os.Getenv("KNS_OWNER_FILL"))
	for range fill {
		must(os.Open("/dev/null"))
	}
	must(net.Listen("tcp4", "0.0.0.0:0"))
	must(net.ListenPacket("udp4", "0.0.0.0:0"))
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	must(fds, err)
	if ln, err := net.Listen("tcp6", "[::]:0"); err == nil {
		keep = append(keep, ln)
	}
	w := bufio.NewWriter(os.Stdout)
	notSocket := -1
	// O_PATH fds: on a namespace file first (the kernel pass must not take
	// its f_op, shared by every O_PATH fd, for the namespace files' one),
	// then on /dev/null, then on a bound UNIX socket's path (S_IFSOCK, but
	// not a socket: its inode is the path's file system's).
	if dir := os.Getenv("KNS_OWNER_DIR"); dir != "" {
		_, err := unix.Open("/proc/self/ns/mnt", unix.O_PATH|unix.O_CLOEXEC, 0)
		must(nil, err)
		null, err := unix.Open("/dev/null", unix.O_PATH|unix.O_CLOEXEC, 0)
		must(nil, err)
		path := filepath.Join(dir, "s"+strconv.Itoa(os.Getpid()))
		must(net.Listen("unix", path))
		onPath, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
		must(nil, err)
		w.WriteString("opath " + strconv.Itoa(null) + " " + strconv.Itoa(onPath) + "\n")
		notSocket = onPath
	}
	for fd := range 1 << 16 {
		var st unix.Stat_t
		if fd != notSocket && unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK {
			w.WriteString("ino " + strconv.FormatUint(st.Ino, 10) + "\n")
		}
	}
	w.WriteString("ready\n")
	w.Flush()
	os.Stdin.Read(make([]byte, 1))
	// Until here: a collection (the BPF warm-up allocates) would otherwise
	// finalise the listeners and close their fds.
	runtime.KeepAlive(keep)
	os.Exit(0)
}

type ownerHolder struct {
	pid    int
	inodes []uint64
	opath  []int // O_PATH fds on /dev/null and on a UNIX socket's path
}

// startOwnerHolder runs the holder as prog (a symlink to the test binary, so
// argv[0] is a long absolute path), in a new network namespace when newNet.
func startOwnerHolder(t *testing.T, prog string, newNet bool, fill int, files ...*os.File) ownerHolder {
	t.Helper()
	args := []string{prog, "-test.run=^TestOwnerHolderProcess$"}
	path := prog
	if newNet {
		// unshare execs in place: the holder keeps unshare's PID and argv[0] is prog.
		path, args = "/usr/bin/unshare", append([]string{"unshare", "--net", "--"}, args...)
	}
	cmd := exec.Command(path, args[1:]...)
	cmd.Args[0] = args[0]
	cmd.Env = append(os.Environ(), holderEnv+"=1", "KNS_OWNER_FILL="+strconv.Itoa(fill), "KNS_OWNER_DIR="+t.TempDir())
	cmd.ExtraFiles = files
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	h := ownerHolder{pid: cmd.Process.Pid}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			return h
		}
		if v, ok := strings.CutPrefix(line, "ino "); ok {
			ino, _ := strconv.ParseUint(v, 10, 64)
			h.inodes = append(h.inodes, ino)
		} else if v, ok := strings.CutPrefix(line, "opath "); ok {
			for _, f := range strings.Fields(v) {
				fd, _ := strconv.Atoi(f)
				h.opath = append(h.opath, fd)
			}
		} else {
			t.Fatalf("holder: %s", line)
		}
	}
	t.Fatalf("holder %d exited before ready: %v", h.pid, sc.Err())
	return h
}

// requireBPFOwners skips unless the BPF iterator can load here; where the
// kernel has BTF and no lockdown, as root, a load failure fails the test.
func requireBPFOwners(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("no kernel BTF (/sys/kernel/btf/vmlinux): the BPF owner path cannot load")
	}
	if b, err := os.ReadFile("/sys/kernel/security/lockdown"); err == nil && !strings.Contains(string(b), "[none]") {
		t.Skipf("kernel lockdown %q may refuse BPF", strings.TrimSpace(string(b)))
	}
	if _, err := bpfIter("/proc"); err != nil {
		t.Fatalf("BPF owner iterator does not load as root with BTF: %v", err)
	}
}

// TestOwnersBPFMatchesProcWalk builds a real scene and requires the BPF pass
// and netstat's /proc walk to give every socket the same owner: holders in
// the host and in new network namespaces, sockets opened after hundreds of
// other fds, a socket shared by three processes (lowest PID wins), a long
// absolute argv[0] (basename), and an fd holding another namespace.
func TestOwnersBPFMatchesProcWalk(t *testing.T) {
	scanSkipUnlessRoot(t)
	requireBPFOwners(t)
	dir := t.TempDir()
	prog := filepath.Join(dir, "kns-owner-holder-program-with-a-long-name")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, prog); err != nil {
		t.Fatal(err)
	}
	shared, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	sharedIno := scanSocketInode(t, shared.(*net.TCPListener))
	sf, err := shared.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()

	h0 := startOwnerHolder(t, prog, false, 300)
	h1 := startOwnerHolder(t, prog, true, 800, sf)
	nsf, err := os.Open("/proc/" + strconv.Itoa(h1.pid) + "/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer nsf.Close()
	h2 := startOwnerHolder(t, prog, true, 0, nsf, sf)
	holders := []ownerHolder{h0, h1, h2}

	fs, err := NewFS("/proc", "/")
	if err != nil {
		t.Fatal(err)
	}
	viaBPF, err := fs.ScanProcs(ScanOptions{Sockets: true})
	if err != nil {
		t.Fatal(err)
	}
	viaProc, err := fs.ScanProcs(ScanOptions{Sockets: true, NoBPF: true})
	if err != nil {
		t.Fatal(err)
	}
	if viaBPF.Owners != OwnersBPF || viaProc.Owners != OwnersProc {
		t.Fatalf("owner methods = %q (%s), %q; want %q, %q", viaBPF.Owners, viaBPF.OwnersFallback, viaProc.Owners, OwnersBPF, OwnersProc)
	}
	if viaBPF.Denied != viaProc.Denied {
		t.Errorf("Denied: bpf %v, proc walk %v", viaBPF.Denied, viaProc.Denied)
	}

	wantName := filepath.Base(prog)
	holderOf := map[uint64]int{sharedIno: os.Getpid()}
	n := 0
	for _, h := range holders {
		if len(h.inodes) < 5 {
			t.Fatalf("holder %d reports %d sockets, want >= 5", h.pid, len(h.inodes))
		}
		for _, ino := range h.inodes {
			if p, ok := holderOf[ino]; !ok || h.pid < p {
				holderOf[ino] = h.pid
			}
		}
	}
	for ino, pid := range holderOf {
		a, b := viaBPF.Owner(ino), viaProc.Owner(ino)
		if a == nil || b == nil {
			t.Errorf("socket %d: owner bpf %v, proc walk %v; want PID %d", ino, a, b, pid)
			continue
		}
		n++
		if a.PID != b.PID || a.Name != b.Name {
			t.Errorf("socket %d: bpf %d/%s, proc walk %d/%s", ino, a.PID, a.Name, b.PID, b.Name)
		}
		if a.PID != pid {
			t.Errorf("socket %d: owner PID %d, want lowest holder %d", ino, a.PID, pid)
		}
		if pid != os.Getpid() && a.Name != wantName {
			t.Errorf("socket %d: program %q, want argv[0] basename %q", ino, a.Name, wantName)
		}
	}
	t.Logf("%d sockets of %d holders: same owner both ways", n, len(holders))

	// The namespace fd of h2 (fd 3) is found both ways, also by a scan for
	// namespace fds only (discovery without -p).
	nsBPF, err := fs.ScanProcs(ScanOptions{NetnsFds: true})
	if err != nil {
		t.Fatal(err)
	}
	nsProc, err := fs.ScanProcs(ScanOptions{NetnsFds: true, NoBPF: true})
	if err != nil {
		t.Fatal(err)
	}
	if nsBPF.Owner(sharedIno) != nil || nsProc.Owner(sharedIno) != nil {
		t.Error("a NetnsFds-only scan recorded socket owners")
	}
	wantNs := netnsIno(t, h1.pid)
	for _, tab := range []*ProcTable{viaBPF, viaProc, nsBPF, nsProc} {
		e := tab.Entry(h2.pid)
		if e == nil || len(e.NetnsFds) != 1 || e.NetnsFds[0] != (NetnsFd{FD: 3, Inode: wantNs}) {
			t.Errorf("%s: holder %d NetnsFds = %+v, want fd 3 → %d", tab.Owners, h2.pid, e, wantNs)
		}
	}

	// Each reports the holders' sockets; EachNsfs, the same pass without
	// socket files, reports none of them but still h2's namespace fd.
	it, err := bpfIter("/proc")
	if err != nil {
		t.Fatal(err)
	}
	isHolder := map[int]bool{}
	for _, h := range holders {
		isHolder[h.pid] = true
	}
	opath := map[[2]int]bool{}
	for _, h := range holders {
		if len(h.opath) != 2 {
			t.Fatalf("holder %d: O_PATH fds %v, want 2", h.pid, h.opath)
		}
		for _, fd := range h.opath {
			opath[[2]int{h.pid, fd}] = true
		}
	}
	count := func(each func(func(bpfowner.Record)) error) (socks, nsfs int) {
		t.Helper()
		if err := each(func(r bpfowner.Record) {
			if !isHolder[r.PID] {
				return
			}
			if opath[[2]int{r.PID, r.FD}] {
				t.Errorf("pid %d fd %d (O_PATH, not a socket or namespace) reported as kind %d, inode %d", r.PID, r.FD, r.Kind, r.Inode)
			}
			switch r.Kind {
			case bpfowner.Socket:
				socks++
			case bpfowner.Nsfs:
				nsfs++
			}
		}); err != nil {
			t.Fatal(err)
		}
		return socks, nsfs
	}
	allSocks, allNs := count(it.Each)
	nsSocks, nsNs := count(it.EachNsfs)
	if allSocks == 0 || allNs == 0 {
		t.Errorf("Each: %d socket and %d namespace records for the holders, want both > 0", allSocks, allNs)
	}
	if nsSocks != 0 || nsNs != allNs {
		t.Errorf("EachNsfs: %d socket and %d namespace records, want 0 and %d", nsSocks, nsNs, allNs)
	}
	// Each again after EachNsfs: sockets are back.
	if again, _ := count(it.Each); again != allSocks {
		t.Errorf("Each after EachNsfs: %d socket records, want %d", again, allSocks)
	}
}

func netnsIno(t *testing.T, pid int) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestOwnersBPFRepeat checks that refreshes reuse one loaded program: many
// passes, the same answer, no fd growth.
func TestOwnersBPFRepeat(t *testing.T) {
	scanSkipUnlessRoot(t)
	requireBPFOwners(t)
	it, err := bpfIter("/proc")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ino := scanSocketInode(t, ln.(*net.TCPListener))
	countFds := func() int {
		d, _ := os.ReadDir("/proc/self/fd")
		return len(d)
	}
	before := countFds()
	start := time.Now()
	const passes = 300
	for i := range passes {
		again, err := bpfIter("/proc")
		if err != nil || again != it {
			t.Fatalf("pass %d: iterator %p, %v; want the shared %p", i, again, err, it)
		}
		found := false
		if err := it.Each(func(r bpfowner.Record) {
			found = found || r.PID == os.Getpid() && r.Inode == ino
		}); err != nil {
			t.Fatal(err)
		}
		if !found {
			t.Fatalf("pass %d: own listener %d not reported", i, ino)
		}
	}
	if after := countFds(); after > before {
		t.Errorf("fds grew from %d to %d over %d passes", before, after, passes)
	}
	t.Logf("%d passes, %v per pass", passes, time.Since(start)/passes)
}

// BenchmarkScanProcsOwners is a full -p scan of this host both ways: the
// BPF pass (its load is paid once, as -c refreshes do) and the /proc walk.
func BenchmarkScanProcsOwners(b *testing.B) {
	scanSkipUnlessRoot(b)
	fs, _ := NewFS("/proc", "/")
	for _, tc := range []struct {
		name string
		opt  ScanOptions
	}{{"bpf", ScanOptions{Sockets: true}}, {"walk", ScanOptions{Sockets: true, NoBPF: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fs.ScanProcs(tc.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
