//go:build !linux

package inspect

import "context"

// procScanner holds the Linux scanner's buffers; there is no /proc here.
type procScanner struct{}

// ScanProcs needs Linux's /proc.
func (fs FS) ScanProcs(opt ScanOptions) (*ProcTable, error) { return nil, ErrNodeLocal }

// ScanProcsContext needs Linux's /proc.
func (fs FS) ScanProcsContext(ctx context.Context, opt ScanOptions) (*ProcTable, error) {
	return nil, ErrNodeLocal
}

// ResolveOwners needs Linux's /proc; nothing is resolved.
func (t *ProcTable) ResolveOwners(want []uint64, match func(*ProcEntry) bool) int { return 0 }

// ProbeFdDirs needs Linux's /proc.
func (t *ProcTable) ProbeFdDirs() {}

// mountsToRead needs Linux.
func (fs FS) mountsToRead() (map[uint64]bool, error) { return nil, ErrNodeLocal }
