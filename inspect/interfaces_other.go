//go:build !linux

package inspect

import "errors"

// ListInterfaces needs Linux interface ioctls.
func ListInterfaces(fd int, dev []NetDev) ([]Interface, error) {
	return nil, errors.New("interface list: only supported on Linux")
}

// ListInterfacesLong needs Linux interface ioctls.
func ListInterfacesLong(fd int, dev []NetDev, inet6 []IfInet6) ([]Interface, error) {
	return nil, errors.New("interface list: only supported on Linux")
}
