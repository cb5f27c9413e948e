// Package bpfowner finds which processes hold which sockets in one in-kernel
// pass: a BPF task_file iterator (owners.bpf.c) emits a record per socket and
// per namespace file of every thread-group leader, so the cost does not depend
// on where in a process's fd table a socket sits, unlike a readlink per fd.
//
// A second program (mounts.bpf.c, MountIter) walks every mount namespace's
// mounts in the kernel and says which namespaces' mountinfo holds a netns
// mount no earlier namespace holds, so discovery reads those files only.
//
// The programs are compiled by bpf2go (go generate) and loaded through
// cilium/ebpf with CO-RE, so they need the kernel's BTF and root; callers
// fall back to the /proc walk (or to reading every mountinfo) whenever
// Shared (SharedMounts) reports an error.
package bpfowner

import "errors"

// Kind says what an fd refers to.
type Kind uint8

const (
	// Socket is a socket file: Inode is the socket inode.
	Socket Kind = 1
	// Nsfs is a namespace file (net, mnt, …: the kernel does not tell which
	// without more reads); Inode is the namespace inode.
	Nsfs Kind = 2
)

// Record is one fd of a thread-group leader.
type Record struct {
	// PID is the tgid as the reader's pid namespace numbers it.
	PID int
	FD  int
	// Inode is the socket's (or namespace's) inode, as in "socket:[N]".
	Inode uint64
	Kind  Kind
}

// ErrUnsupported is returned where the iterator cannot exist (not Linux).
var ErrUnsupported = errors.New("BPF task_file iterator not supported on this OS")
