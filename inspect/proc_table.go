package inspect

import (
	"sync"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/runtime"
)

// The /proc pass itself (ScanProcs) is Linux-only (proc_scan_linux.go); its
// result types live here so the model builds on every client platform.

// ScanOptions selects what ScanProcs collects beyond the per-process basics.
type ScanOptions struct {
	// Sockets walks every /proc/PID/fd to map socket inodes to their owner
	// and to find network namespaces held only by an open fd.
	Sockets bool
	// NetnsFds walks every /proc/PID/fd for namespaces held only by an open
	// fd, without recording sockets (Sockets implies it). Discovery always
	// sets it, so the namespaces found never depend on the output flags.
	NetnsFds bool
	// NoBPF makes Sockets and NetnsFds use the /proc walk even where the BPF
	// iterator would serve (tests compare the two).
	NoBPF bool
	// LazyFallback: when the BPF iterator cannot serve Sockets, skip the
	// socket walk and leave the owners to ResolveOwners (Owners is then OwnersLazy).
	LazyFallback bool
	// WalkFor, if set, is the query the pass that follows reads from every
	// namespace. Where it is walkable (Walkable) and the host has enough
	// namespaces to walk, the socket walker loads right after the owner
	// iterator and walks the host's tables while the owner pass runs; the
	// MultiReader that first reads this table's namespaces takes that walk
	// instead of making its own.
	WalkFor *SocketQuery
	// Alongside, if set, runs in its own goroutine as soon as the process
	// list is read, while the fd pass (the BPF load and pass, or the walk)
	// runs; ScanProcs returns after both. It may read the entries' identity
	// and namespace fields, not their fds or the socket owners.
	Alongside func(*ProcTable)
}

// ProcEntry is everything one pass over /proc/PID learns about a process.
type ProcEntry struct {
	// Proc is the model record; the same pointer is returned by Owner.
	Proc *Process
	// StartTime is field 22 of /proc/PID/stat (clock ticks since boot);
	// with the PID it identifies a process across pid reuse.
	StartTime uint64
	PPID      int
	// Flags is field 9 of /proc/PID/stat (PF_* bits).
	Flags uint32
	// NetnsDev and NetnsIno identify the network namespace (stat of ns/net, followed).
	NetnsDev, NetnsIno uint64
	// MntnsIno identifies the mount namespace; one mountinfo is read per distinct value.
	MntnsIno uint64
	// PidnsIno identifies the pid namespace.
	PidnsIno uint64
	// NSpid is the pid as seen in each nested pid namespace, outermost first.
	// It is [PID] when the process shares the scanner's pid namespace.
	NSpid []int
	// Cgroup is every line of /proc/PID/cgroup.
	Cgroup []runtime.CgroupLine
	// NetnsFds are fds of this process that point at a network namespace.
	NetnsFds []NetnsFd
	// Partial is set when some of the process's files were unreadable
	// (EACCES: e.g. ns/* of a more privileged PID 1); the zero values then mean unknown.
	Partial bool
	// fdsWalked is set once ResolveOwners has read every fd of the process.
	fdsWalked bool
}

// Kthread reports whether the process is a kernel thread (PF_KTHREAD).
func (e *ProcEntry) Kthread() bool { return e.Flags&pfKthread != 0 }

// PF_KTHREAD from include/linux/sched.h.
const pfKthread = 0x00200000

// NetnsFd is an open fd that holds a network namespace (readlink gives net:[N]).
type NetnsFd struct {
	FD    int
	Inode uint64
}

// ProcTable is the result of one /proc pass.
type ProcTable struct {
	// Procs are the processes in ascending PID order.
	Procs []*ProcEntry
	byPID map[int]*ProcEntry
	// sockets maps a socket inode to the lowest PID holding it, as netstat does.
	sockets map[uint64]*Process
	// Denied is set when some /proc/PID/fd directory could not be opened
	// (EACCES): exactly netstat's condition for its "(Not all processes could
	// be identified…)" / "(No info could be read for "-p"…)" notices.
	Denied bool
	// Unreadable lists PIDs the scan could only partly read (or not at all)
	// for lack of permission; they are kept when anything was readable.
	Unreadable []int
	// Gone counts processes that vanished during the scan.
	Gone int
	// SelfNetnsDev and SelfNetnsIno are the scanning process's own network namespace.
	SelfNetnsDev, SelfNetnsIno uint64
	// SelfMntnsIno and SelfPidnsIno are the scanner's mount and pid namespaces.
	SelfMntnsIno, SelfPidnsIno uint64
	// Owners says how Owner was filled; OwnersFallback, when the /proc walk
	// was used for Sockets, says why the BPF iterator was not.
	Owners         OwnerMethod
	OwnersFallback string

	// root and scan let ResolveOwners walk fds after the pass; fdsDone is
	// set when the pass already walked every process's fds.
	root    string
	scan    *procScanner
	fdsDone bool
	// prewalk is the walk made during the scan (ScanOptions.WalkFor), until a
	// MultiReader takes it.
	prewalk *prewalk

	// held are the BPF pass's socket records in ascending PID order, not
	// yet in sockets: indexing every socket of a host costs more than the
	// kernel's pass (a 50,000-entry map), and a listening pass asks about a
	// few hundred, so only the inodes a walk reported are indexed at first
	// (primeOwners) and the rest when Owner is asked about another one.
	mu     sync.Mutex
	held   []heldSocket
	primed map[uint64]bool
}

// heldSocket is one socket fd the BPF pass reported.
type heldSocket struct {
	inode uint64
	p     *Process
}

// primeOwners indexes the held records of the walk's sockets, when they are
// a small part of them; Owner then answers for those without indexing the rest.
func (t *ProcTable) primeOwners(walked map[uint64]*walkedNs) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := walkedCount(walked)
	if t.held == nil || n*4 > len(t.held) {
		return
	}
	want := walkedInodes(walked, n)
	// A bit per inode's low bits screens out most records before the map
	// lookup (2,000 wanted inodes among 50,000 held).
	var bits [1 << 14]uint64
	for ino := range want {
		bits[ino>>6&(1<<14-1)] |= 1 << (ino & 63)
	}
	for _, h := range t.held {
		if bits[h.inode>>6&(1<<14-1)]&(1<<(h.inode&63)) != 0 && want[h.inode] {
			t.hold(h)
		}
	}
	t.primed = want
}

// hold records h unless a lower PID holds its inode (netstat's rule).
func (t *ProcTable) hold(h heldSocket) {
	if q, ok := t.sockets[h.inode]; !ok || q.PID > h.p.PID {
		t.sockets[h.inode] = h.p
	}
}

// prewalk is a socket walk made on the scan's loader goroutine; done is
// closed once ns (every namespace the walk covered) or err is set.
type prewalk struct {
	done  chan struct{}
	conns bool
	ns    map[uint64]*walkedNs
	err   error
}

// takeWalk hands over the walk made during the scan, once (nil: none).
func (t *ProcTable) takeWalk() *prewalk {
	if t == nil {
		return nil
	}
	p := t.prewalk
	t.prewalk = nil
	return p
}

// Owner returns the process holding the socket inode (lowest PID), or nil.
func (t *ProcTable) Owner(inode uint64) *Process {
	if t == nil || inode == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held != nil && !t.primed[inode] {
		if len(t.sockets) == 0 {
			t.sockets = make(map[uint64]*Process, len(t.held))
		}
		for _, h := range t.held {
			t.hold(h)
		}
		t.held, t.primed = nil, nil
	}
	return t.sockets[inode]
}

// SocketsRecorded reports whether the fd walk attributed at least one socket.
func (t *ProcTable) SocketsRecorded() bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sockets) > 0 || len(t.held) > 0
}

// Entry returns the scan record for pid, or nil.
func (t *ProcTable) Entry(pid int) *ProcEntry {
	if t == nil {
		return nil
	}
	return t.byPID[pid]
}

// bracketInode parses prefix + decimal + "]" (e.g. "socket:[12345]").
func bracketInode(b []byte, prefix string) (uint64, bool) {
	if len(b) < len(prefix)+2 || string(b[:len(prefix)]) != prefix || b[len(b)-1] != ']' {
		return 0, false
	}
	var v uint64
	digits := b[len(prefix) : len(b)-1]
	if len(digits) == 0 || len(digits) > 20 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

func atoiBytes(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// scanWorkers is how many goroutines share the per-process reads (the
// /proc pass, the fd walk, the mountinfo files). The work is syscalls, so on
// two cores two workers take about half the wall time of one.
const scanWorkers = 2
