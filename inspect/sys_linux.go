package inspect

import "golang.org/x/sys/unix"

// Socket arguments for the namespace readers (nsenter.SocketAt).
const (
	afInet          = unix.AF_INET
	sockDgram       = unix.SOCK_DGRAM
	afNetlink       = unix.AF_NETLINK
	sockRaw         = unix.SOCK_RAW
	netlinkSockDiag = unix.NETLINK_SOCK_DIAG
)

// statIno is stat(2)'s inode of path (symlinks followed, as for /proc/PID/ns/*).
func statIno(path string) (uint64, bool) {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return 0, false
	}
	return st.Ino, true
}

// nsfsIno is the inode of path when it is a namespace file (nsfs).
func nsfsIno(path string) (uint64, bool) {
	var sfs unix.Statfs_t
	if unix.Statfs(path, &sfs) != nil || sfs.Type != nsfsMagic {
		return 0, false
	}
	return statIno(path)
}

func closeFd(fd int) error { return unix.Close(fd) }

// IsProcfs reports whether dir is a procfs mount.
func IsProcfs(dir string) bool {
	var sfs unix.Statfs_t
	return unix.Statfs(dir, &sfs) == nil && sfs.Type == unix.PROC_SUPER_MAGIC
}
