//go:build !linux

package nsenter

import (
	"errors"

	"github.com/vishvananda/netns"
)

// ErrUnsupported is returned on systems without network namespaces.
var ErrUnsupported = errors.New("network namespaces are only supported on Linux")

// ErrNotNetns is returned by Open for a file that is not a network namespace.
var ErrNotNetns = errors.New("not a network namespace")

func None() Handle                                { return netns.None() }
func Open(string) (Handle, error)                 { return None(), ErrUnsupported }
func ID(Handle) (uint64, uint64, error)           { return 0, 0, ErrUnsupported }
func Do(Handle, func() error) error               { return ErrUnsupported }
func SocketAt(Handle, int, int, int) (int, error) { return -1, ErrUnsupported }
