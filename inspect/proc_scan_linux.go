package inspect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/bpfowner"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/runtime"
)

// ScanProcs makes one pass over the proc root: one readdir, then per PID a
// directory fd and reads relative to it, so a PID that is reused mid-scan
// fails instead of mixing two processes.
//
// Hand-written for speed: the same per-PID reads through procfs (Stat,
// Namespaces, Cgroups, CmdLine, NewStatus, FileDescriptorTargets) took 1.8x
// the time, 5x the bytes and 60x the allocations (BenchmarkScanProcsLibrary
// vs BenchmarkScanProcsHand, paired median of 6; README Performance).
func (fs FS) ScanProcs(opt ScanOptions) (*ProcTable, error) {
	return fs.ScanProcsContext(context.Background(), opt)
}

// ScanProcsContext is ScanProcs that stops with ctx's error soon after ctx
// is done: the workers check it before each PID.
func (fs FS) ScanProcsContext(ctx context.Context, opt ScanOptions) (*ProcTable, error) {
	root := fs.Proc()
	d, err := os.Open(root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", root, err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("readdir %s: %w", root, err)
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, ok := atoiBytes([]byte(n)); ok && pid > 0 {
			pids = append(pids, pid)
		}
	}
	// netstat keeps the first holder in readdir order, which is ascending PID on procfs.
	sort.Ints(pids)

	t := &ProcTable{
		Procs:   make([]*ProcEntry, 0, len(pids)),
		byPID:   make(map[int]*ProcEntry, len(pids)),
		sockets: map[uint64]*Process{},
	}
	var st unix.Stat_t
	// thread-self, not self: /proc/self follows the main thread, which a
	// finished nsenter.Do may have left parked inside another namespace.
	if err := unix.Stat(fs.Proc("thread-self", "ns", "net"), &st); err == nil {
		t.SelfNetnsDev, t.SelfNetnsIno = st.Dev, st.Ino
	}
	// The net link above is stat'ed for its device too; procfs's
	// Namespaces gives inodes only, which is all mnt and pid need.
	self := fs.selfNamespaces()
	t.SelfMntnsIno, t.SelfPidnsIno = uint64(self["mnt"].Inode), uint64(self["pid"].Inode)

	s := newProcScanner()
	s.nsDev = t.SelfNetnsDev
	t.root, t.scan, t.fdsDone = root, s, opt.Sockets
	// Where the BPF iterator may serve, it loads (once per run: later
	// refreshes reuse it) while the pass reads /proc without any fd walk;
	// it then reports socket and namespace fds in one pass.
	walk := opt
	var bpfRes chan bpfLoad
	var warm chan bool // the loader's go-ahead for the walk (WalkFor)
	if opt.Sockets || opt.NetnsFds {
		err := errors.New("disabled (ScanOptions.NoBPF)")
		if !opt.NoBPF {
			err = bpfPrecheck(root)
		}
		switch {
		case err == nil:
			walk.Sockets, walk.NetnsFds = false, false
			bpfRes = make(chan bpfLoad, 1)
			var pre *prewalk
			if q := opt.WalkFor; q != nil && walkable(*q) {
				pre = &prewalk{done: make(chan struct{}), conns: wantsConns(*q)}
				t.prewalk, warm = pre, make(chan bool, 1)
			}
			go func() {
				it, err := bpfIter(root)
				bpfRes <- bpfLoad{it, err}
				// The walk needs no discovery: it covers every namespace whose
				// tasks it sees, and the reader picks its own.
				if warm != nil && <-warm {
					pre.ns, pre.err = fs.walkSockets(nil, pre.conns)
					close(pre.done)
				}
			}()
		case opt.Sockets && opt.LazyFallback:
			walk.Sockets, t.fdsDone = false, false
			t.Owners, t.OwnersFallback = OwnersLazy, err.Error()
		case opt.Sockets:
			t.Owners, t.OwnersFallback = OwnersProc, err.Error()
		}
	}
	res, sockets := scanAll(ctx, root, pids, t.SelfPidnsIno, walk, s)
	if warm != nil {
		ok := walkRefused(countNetns(res)) == nil
		if !ok {
			t.prewalk = nil
		}
		warm <- ok
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.sockets = sockets
	for i, pid := range pids {
		e, err := res[i].e, res[i].err
		switch {
		case err == nil:
			t.Procs = append(t.Procs, e)
			t.byPID[pid] = e
			if e.Partial {
				t.Unreadable = append(t.Unreadable, pid)
			}
		case isDenied(err):
			t.Unreadable = append(t.Unreadable, pid)
			if opt.Sockets {
				// netstat would have failed on /proc/PID/fd too.
				t.Denied = true
			}
		default:
			// ENOENT/ESRCH: the process exited between readdir and now.
			t.Gone++
		}
		if res[i].denied {
			t.Denied = true
		}
	}
	if opt.Alongside != nil {
		var wg sync.WaitGroup
		wg.Go(func() { opt.Alongside(t) })
		defer wg.Wait()
	}
	if bpfRes != nil {
		l := <-bpfRes
		err := l.err
		if err == nil {
			err = t.fillFromBPF(l.it, opt.Sockets)
		}
		switch {
		case err == nil && opt.Sockets:
			t.Owners = OwnersBPF
			// The walk would have set Denied on an unopenable fd directory.
			t.fdsDone = false
			t.ProbeFdDirs()
			t.fdsDone = true
		case err == nil:
		case opt.Sockets && opt.LazyFallback:
			t.fdsDone = false
			t.Owners, t.OwnersFallback = OwnersLazy, err.Error()
			if opt.NetnsFds {
				t.walkAll(false)
			}
		default:
			if opt.Sockets {
				t.Owners, t.OwnersFallback = OwnersProc, err.Error()
			}
			t.walkAll(opt.Sockets)
		}
	}
	return t, nil
}

// countNetns counts the distinct network namespaces of the scanned processes.
func countNetns(res []scanResult) int {
	seen := make(map[uint64]bool, 64)
	for i := range res {
		if e := res[i].e; e != nil && e.NetnsIno != 0 {
			seen[e.NetnsIno] = true
		}
	}
	return len(seen)
}

type bpfLoad struct {
	it  *bpfowner.Iter
	err error
}

// walkAll is the fd walk of every scanned process (sockets and namespace
// fds, or namespace fds only) for a pass made without it because the BPF
// iterator failed to load: workers take PIDs in ascending order and the
// lowest PID holding a socket wins, as in scanAll.
func (t *ProcTable) walkAll(sockets bool) {
	workers := scanWorkers
	if len(t.Procs) < 32 {
		workers = 1
	}
	maps := make([]map[uint64]*Process, workers)
	denied := make([]bool, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		s := t.scan
		if w > 0 {
			s = newProcScanner()
			s.nsDev = t.scan.nsDev
		}
		if sockets {
			maps[w] = map[uint64]*Process{}
		}
		m := maps[w]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(t.Procs) {
					return
				}
				e := t.Procs[i]
				dfd, err := unix.Open(t.root+"/"+strconv.Itoa(e.Proc.PID), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
				if err != nil {
					continue
				}
				s.walkFds(dfd, e, m)
				unix.Close(dfd)
				denied[w] = denied[w] || s.denied
				s.denied = false
			}
		}()
	}
	wg.Wait()
	for w, m := range maps {
		if sockets {
			t.Denied = t.Denied || denied[w]
		}
		for ino, p := range m {
			if q, ok := t.sockets[ino]; !ok || q.PID > p.PID {
				t.sockets[ino] = p
			}
		}
	}
}

// scanResult is one PID's outcome; denied is set when its fd directory gave EACCES.
type scanResult struct {
	e      *ProcEntry
	err    error
	denied bool
}

// scanAll scans every pid. Each worker takes the next pid in ascending
// order and fills its own socket map, so the first holder it records is its
// lowest PID; merging the maps keeps the lowest PID overall, as netstat does.
// first is the scanner of worker 0.
func scanAll(ctx context.Context, root string, pids []int, selfPidns uint64, opt ScanOptions, first *procScanner) ([]scanResult, map[uint64]*Process) {
	res := make([]scanResult, len(pids))
	workers := scanWorkers
	if len(pids) < 32 {
		workers = 1
	}
	maps := make([]map[uint64]*Process, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		s := first
		if w > 0 {
			s = newProcScanner()
			s.nsDev = first.nsDev
		}
		m := map[uint64]*Process{}
		maps[w] = m
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := ctx.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(pids) {
					return
				}
				select {
				case <-done:
					return
				default:
				}
				e, err := s.scanOne(root, pids[i], selfPidns, opt, m)
				res[i] = scanResult{e: e, err: err, denied: s.denied}
				s.denied = false
			}
		}()
	}
	wg.Wait()
	// Merge into the largest map.
	sort.Slice(maps, func(i, j int) bool { return len(maps[i]) > len(maps[j]) })
	sockets := maps[0]
	for _, m := range maps[1:] {
		for ino, p := range m {
			if q, ok := sockets[ino]; !ok || q.PID > p.PID {
				sockets[ino] = p
			}
		}
	}
	return res, sockets
}

// procScanner holds the buffers reused for every PID of one scan.
type procScanner struct {
	file   []byte // file contents
	dents  []byte // getdents buffer
	link   []byte // readlink buffer
	denied bool   // an fd directory gave EACCES
	// want, when set, holds the socket inodes ResolveOwners still looks
	// for; walkFds deletes each as it finds it and stops (setting stopped)
	// when none is left.
	want    map[uint64]bool
	stopped bool
	// nsDev is the nsfs device (of the scanner's own netns), 0 if unknown.
	nsDev uint64
}

func newProcScanner() *procScanner {
	return &procScanner{
		file:  make([]byte, 64<<10),
		dents: make([]byte, 32<<10),
		link:  make([]byte, 256),
	}
}

// maxCmdline is netstat's read size for /proc/PID/cmdline (a 512-byte buffer minus the NUL).
const maxCmdline = 511

func (s *procScanner) scanOne(root string, pid int, selfPidns uint64, opt ScanOptions, sockets map[uint64]*Process) (*ProcEntry, error) {
	dfd, err := unix.Open(root+"/"+strconv.Itoa(pid), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)

	e := &ProcEntry{Proc: &Process{PID: pid}}
	b, err := s.readAt(dfd, "stat", len(s.file))
	if err != nil {
		return nil, err
	}
	if err := parseStatInto(b, e); err != nil {
		return nil, fmt.Errorf("%s/%d/stat: %w", root, pid, err)
	}

	// Namespace links can be denied (ptrace access mode) while fds are not,
	// so a denial here keeps the process for -p with the netns unknown.
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, "ns/net", &st, 0); err == nil {
		e.NetnsDev, e.NetnsIno = st.Dev, st.Ino
	} else if isDenied(err) {
		e.Partial = true
	} else {
		return nil, err
	}
	if err := unix.Fstatat(dfd, "ns/mnt", &st, 0); err == nil {
		e.MntnsIno = st.Ino
	}
	if err := unix.Fstatat(dfd, "ns/pid", &st, 0); err == nil {
		e.PidnsIno = st.Ino
	}
	// status is the most expensive file to generate; NSpid only differs from
	// [PID] for processes in another pid namespace.
	if e.PidnsIno != 0 && e.PidnsIno != selfPidns {
		if b, err := s.readAt(dfd, "status", len(s.file)); err == nil {
			e.NSpid = parseNSpid(b)
		}
	}
	if e.NSpid == nil {
		e.NSpid = []int{pid}
	}

	if b, err := s.readAt(dfd, "cgroup", len(s.file)); err == nil {
		e.Cgroup, _ = runtime.ParseCgroupBytes(b)
	} else if isGone(err) {
		return nil, err
	} else {
		e.Partial = true
	}

	if b, err := s.readAt(dfd, "cmdline", maxCmdline); err == nil {
		e.Proc.Name = programName(b)
	} else if isGone(err) {
		return nil, err
	} else {
		e.Partial = true
	}

	if opt.Sockets {
		s.walkFds(dfd, e, sockets)
	} else if opt.NetnsFds {
		s.walkFds(dfd, e, nil)
	}
	return e, nil
}

func isDenied(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)
}

func isGone(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH)
}

// readAt reads at most max bytes of name relative to dfd into the shared buffer.
func (s *procScanner) readAt(dfd int, name string, max int) ([]byte, error) {
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	n := 0
	for n < max {
		m, err := unix.Read(fd, s.file[n:max])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return s.file[:n], nil
}

// walkFds reads every fd link of one process. Links are read into a reused
// buffer straight from the getdents record, so the walk allocates nothing per fd.
func (s *procScanner) walkFds(dfd int, e *ProcEntry, sockets map[uint64]*Process) {
	fdDir, err := unix.Openat(dfd, "fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if isDenied(err) {
			s.denied = true
		}
		return
	}
	defer unix.Close(fdDir)
	// procfs builds a dentry for every fd a getdents call lists, so a walk
	// that may stop early (want set) starts with a small buffer and grows it.
	size := len(s.dents)
	if s.want != nil {
		size = 1 << 10
	}
	for {
		n, err := unix.Getdents(fdDir, s.dents[:size])
		if err != nil || n <= 0 {
			return
		}
		size = min(2*size, len(s.dents))
		buf := s.dents[:n]
		for len(buf) > 0 {
			// struct linux_dirent64 { u64 ino; s64 off; u16 reclen; u8 type; char name[]; }
			reclen := int(uint16(buf[16]) | uint16(buf[17])<<8)
			if reclen <= 19 || reclen > len(buf) {
				return
			}
			name := buf[19:reclen]
			buf = buf[reclen:]
			if name[0] == '.' {
				continue
			}
			m, errno := readlinkatRaw(fdDir, &name[0], s.link)
			if errno != 0 {
				// Closed meanwhile, or denied: no info, and (as in netstat) not
				// a reason for the "not all processes" notice.
				continue
			}
			link := s.link[:m]
			if ino, ok := bracketInode(link, "socket:["); ok {
				if sockets == nil {
					continue // a walk for namespace fds only
				}
				// Later walks (ResolveOwners) may visit PIDs out of order;
				// the lowest PID still wins.
				if p, seen := sockets[ino]; !seen || p.PID > e.Proc.PID {
					sockets[ino] = e.Proc
				}
				if s.want != nil && s.want[ino] {
					delete(s.want, ino)
					if len(s.want) == 0 {
						s.stopped = true
						return
					}
				}
			} else if ino, ok := bracketInode(link, "net:["); ok && s.want == nil {
				if fd, ok := fdNumber(name); ok {
					e.NetnsFds = append(e.NetnsFds, NetnsFd{FD: fd, Inode: ino})
				}
			} else if s.want == nil && s.nsDev != 0 && (string(link) == "/" || bytes.Contains(link, []byte("netns"))) {
				// A namespace file opened through a bind mount reads as that
				// path ("/" once the mount is gone), not net:[N]: stat says.
				var st unix.Stat_t
				if fd, ok := fdNumber(name); ok && unix.Fstatat(fdDir, strconv.Itoa(fd), &st, 0) == nil && st.Dev == s.nsDev {
					e.NetnsFds = append(e.NetnsFds, NetnsFd{FD: fd, Inode: st.Ino})
				}
			}
		}
	}
}

// ResolveOwners makes Owner answer for the socket inodes in want by walking
// the fds of the processes that match accepts, in ascending PID order, and
// stops as soon as every wanted inode has an owner. It serves tables scanned
// without Sockets: a listening audit needs the owners of a few inodes, which
// the processes of the socket's own namespace nearly always hold, usually in
// their first fds, so most of the host's fds are never read. Processes already
// walked whole are skipped; one left half-walked is walked again when needed.
// Namespace fds (NetnsFds) are not collected by these walks. It returns how
// many wanted inodes still have no owner.
func (t *ProcTable) ResolveOwners(want []uint64, match func(*ProcEntry) bool) int {
	if t == nil || t.fdsDone || t.scan == nil {
		return 0
	}
	set := make(map[uint64]bool, len(want))
	for _, ino := range want {
		if ino != 0 && t.sockets[ino] == nil {
			set[ino] = true
		}
	}
	if len(set) == 0 {
		return 0
	}
	s := t.scan
	s.want = set
	defer func() { s.want = nil }()
	for _, e := range t.Procs {
		if e.fdsWalked || !match(e) {
			continue
		}
		dfd, err := unix.Open(t.root+"/"+strconv.Itoa(e.Proc.PID), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			// Gone since the pass: nothing to attribute.
			e.fdsWalked = true
			continue
		}
		s.stopped = false
		s.walkFds(dfd, e, t.sockets)
		unix.Close(dfd)
		e.fdsWalked = !s.stopped
		if s.denied {
			t.Denied = true
			s.denied = false
		}
		if len(set) == 0 {
			return 0
		}
	}
	return len(set)
}

// ProbeFdDirs sets Denied as a full fd walk would (some /proc/PID/fd cannot
// be opened), without reading any fd, for tables scanned without Sockets.
func (t *ProcTable) ProbeFdDirs() {
	if t == nil || t.fdsDone {
		return
	}
	for _, e := range t.Procs {
		fd, err := unix.Open(t.root+"/"+strconv.Itoa(e.Proc.PID)+"/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		} else if isDenied(err) {
			t.Denied = true
			return
		}
	}
}

// fdNumber parses a NUL-terminated getdents name.
func fdNumber(name []byte) (int, bool) {
	if end := bytes.IndexByte(name, 0); end >= 0 {
		name = name[:end]
	}
	return atoiBytes(name)
}

// readlinkatRaw calls readlinkat with a NUL-terminated name already in memory
// (the getdents record), avoiding a string conversion per fd.
func readlinkatRaw(dirfd int, name *byte, buf []byte) (int, unix.Errno) {
	r, _, errno := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(name)),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	return int(r), errno
}

// programName applies netstat's rule to raw /proc/PID/cmdline bytes: the first
// NUL-terminated string, cut after its last '/' when it starts with '/'.
// An empty cmdline (kernel threads, zombies) gives "".
func programName(cmdline []byte) string {
	if i := bytes.IndexByte(cmdline, 0); i >= 0 {
		cmdline = cmdline[:i]
	}
	if len(cmdline) > 0 && cmdline[0] == '/' {
		cmdline = cmdline[bytes.LastIndexByte(cmdline, '/')+1:]
	}
	return string(cmdline)
}

// parseStatInto reads comm, ppid, flags and starttime from /proc/PID/stat.
// comm sits in parentheses and may itself contain ") ", so split at the last ')'.
func parseStatInto(b []byte, e *ProcEntry) error {
	open := bytes.IndexByte(b, '(')
	cl := bytes.LastIndexByte(b, ')')
	if open < 0 || cl < open {
		return fmt.Errorf("no (comm) field: %w", ErrParse)
	}
	e.Proc.Comm = string(b[open+1 : cl])
	fields := bytes.Fields(b[cl+1:])
	// fields[0] is stat field 3 (state); field N is fields[N-3].
	if len(fields) < 20 {
		return fmt.Errorf("%d fields after comm, want >= 20: %w", len(fields), ErrParse)
	}
	ppid, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		return fmt.Errorf("ppid %q: %w", fields[1], ErrParse)
	}
	flags, err := strconv.ParseUint(string(fields[6]), 10, 32)
	if err != nil {
		return fmt.Errorf("flags %q: %w", fields[6], ErrParse)
	}
	start, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return fmt.Errorf("starttime %q: %w", fields[19], ErrParse)
	}
	e.PPID, e.Flags, e.StartTime = ppid, uint32(flags), start
	return nil
}

// parseNSpid returns the NSpid: line of /proc/PID/status, nil when absent.
func parseNSpid(b []byte) []int {
	i := bytes.Index(b, []byte("\nNSpid:"))
	if i < 0 {
		return nil
	}
	line := b[i+len("\nNSpid:"):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	var out []int
	for _, f := range bytes.Fields(line) {
		v, ok := atoiBytes(f)
		if !ok {
			return nil
		}
		out = append(out, v)
	}
	return out
}
