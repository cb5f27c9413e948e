package nsenter

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// None is a handle that refers to no namespace (the caller's own).
func None() Handle { return netns.None() }

// Open opens a network namespace file: /proc/PID/ns/net, /proc/PID/task/TID/ns/net,
// a bind mount such as /run/netns/NAME, or /proc/PID/fd/N of an nsfs fd.
//
// Paths like /proc/PID/fd/N and /proc/PID/root/… are controlled by other
// users, who can swap what they point at between discovery and this open. So
// the path is first opened with O_PATH, which reaches the file without
// running any driver's open (a FIFO cannot block it, a device is not
// touched), and the file is checked to be nsfs. Only then is that same file
// reopened for reading through /proc/thread-self/fd, O_NONBLOCK.
// netns.GetFromPath is a plain open(O_RDONLY) of the path, which a FIFO
// swapped in by another user would block, so the fd is opened here and
// wrapped as a netns.NsHandle.
func Open(path string) (Handle, error) {
	pfd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return None(), &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(pfd)
	if err := checkNsfs(pfd); err != nil {
		return None(), fmt.Errorf("%s: %w", path, err)
	}
	// Reopening the O_PATH fd reaches the file already checked, not the path again.
	fd, err := unix.Open(fmt.Sprintf("/proc/thread-self/fd/%d", pfd), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return None(), &os.PathError{Op: "open", Path: path, Err: err}
	}
	// NS_GET_NSTYPE rejects other namespace types (mnt, uts, …).
	t, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil || t != unix.CLONE_NEWNET {
		unix.Close(fd)
		return None(), fmt.Errorf("%s: %w", path, ErrNotNetns)
	}
	return netns.NsHandle(fd), nil
}

// checkNsfs reports ErrNotNetns unless fd is a file of nsfs (NSFS_MAGIC).
func checkNsfs(fd int) error {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return err
	}
	if sfs.Type != unix.NSFS_MAGIC {
		return ErrNotNetns
	}
	return nil
}

// ErrNotNetns is returned by Open for a file that is not a network namespace.
var ErrNotNetns = errors.New("not a network namespace")

// ID returns the namespace's identity: the nsfs device and inode
// (netns.NsHandle.UniqueId gives the same as a string).
func ID(h Handle) (dev, ino uint64, err error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(h), &st); err != nil {
		return 0, 0, err
	}
	return st.Dev, st.Ino, nil
}

// Do runs fn on a dedicated OS thread that has joined h's network namespace.
// The thread is never returned to the Go scheduler: the goroutine exits while
// locked, so the runtime terminates the thread. fn must not start goroutines
// (they would run on other threads, outside the namespace).
func Do(h Handle, fn func() error) error {
	if !h.IsOpen() {
		return errors.New("nsenter: handle is not open")
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Deliberately no UnlockOSThread: see the package doc.
		defer func() {
			if r := recover(); r != nil {
				errc <- fmt.Errorf("nsenter: panic inside namespace: %v", r)
			}
		}()
		if err := netns.Set(h); err != nil {
			errc <- fmt.Errorf("setns: %w", err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// SocketAt opens a socket inside h's namespace (the current one when h is None).
// The socket stays in that namespace for its whole life.
func SocketAt(h Handle, domain, typ, proto int) (int, error) {
	open := func() (int, error) { return unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto) }
	if !h.IsOpen() {
		return open()
	}
	fd := -1
	err := Do(h, func() error {
		var err error
		fd, err = open()
		return err
	})
	return fd, err
}
