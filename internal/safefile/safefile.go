// Package safefile reads files whose paths other users may control (runtime
// state files, policies) without letting them block or redirect a root
// process: the open never blocks (O_NONBLOCK), the file must be a regular
// file, and the read is capped.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is returned for a path that is not a regular file (a FIFO,
// a device, a socket, a directory).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned for a file over the caller's size limit.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads the whole regular file at path, at most max bytes.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes: %w", path, max, ErrTooLarge)
	}
	return b, nil
}

// Open opens path for reading without blocking and checks, on the opened
// file (not the path, which may have been swapped), that it is regular.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrNotRegular}
	}
	return f, nil
}
