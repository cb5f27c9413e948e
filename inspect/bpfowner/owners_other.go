//go:build !linux

package bpfowner

// Iter is not available on this OS.
type Iter struct{}

// Shared always fails here; callers use their fallback.
func Shared(pidnsIno uint64) (*Iter, error) { return nil, ErrUnsupported }

// Each is never reached (Shared fails).
func (it *Iter) Each(fn func(Record)) error { return ErrUnsupported }

// MountIter needs Linux.
type MountIter struct{}

// SharedMounts needs Linux.
func SharedMounts() (*MountIter, error) { return nil, ErrUnsupported }

// Pass needs Linux.
func (it *MountIter) Pass() (map[uint64]bool, error) { return nil, ErrUnsupported }
