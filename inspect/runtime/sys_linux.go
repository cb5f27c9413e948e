package runtime

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// statUID is the owner of path (symlinks followed).
func statUID(path string) (uint32, bool) {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return 0, false
	}
	return st.Uid, true
}

// fileUID is the owner recorded in a FileInfo from os.Stat or os.Lstat.
func fileUID(fi os.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}
