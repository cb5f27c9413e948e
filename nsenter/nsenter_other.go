//go:build !linux

package nsenter

import "errors"

// ErrUnsupported is returned on systems without network namespaces.
var ErrUnsupported = errors.New("network namespaces are only supported on Linux")

// ErrNotNetns is returned by Open for a file that is not a network namespace.
var ErrNotNetns = errors.New("not a network namespace")

// Handle is an open network namespace file.
type Handle struct{ fd int }

func None() Handle                                { return Handle{fd: -1} }
func Open(string) (Handle, error)                 { return None(), ErrUnsupported }
func (h Handle) IsOpen() bool                     { return false }
func (h Handle) Fd() int                          { return -1 }
func (h *Handle) Close() error                    { return nil }
func (h Handle) ID() (uint64, uint64, error)      { return 0, 0, ErrUnsupported }
func (h Handle) Equal(Handle) bool                { return false }
func Do(Handle, func() error) error               { return ErrUnsupported }
func SocketAt(Handle, int, int, int) (int, error) { return -1, ErrUnsupported }
