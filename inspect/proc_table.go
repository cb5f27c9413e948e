package inspect

import "github.com/kubectl-netstat/kubectl-netstat/inspect/runtime"

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
	// WarmWalk: the pass that follows reads walkable tables (Walkable) of
	// every namespace. Where the host has enough namespaces to walk, the
	// socket walker then loads right after the owner iterator, while the
	// owner pass runs, instead of after discovery.
	WarmWalk bool
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
}

// Owner returns the process holding the socket inode (lowest PID), or nil.
func (t *ProcTable) Owner(inode uint64) *Process {
	if t == nil || inode == 0 {
		return nil
	}
	return t.sockets[inode]
}

// SocketsRecorded reports whether the fd walk attributed at least one socket.
func (t *ProcTable) SocketsRecorded() bool { return t != nil && len(t.sockets) > 0 }

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
