//go:build !linux

package inspect

import "errors"

func (fs FS) walkSockets(want map[uint64]bool, conns bool) (map[uint64]*walkedNs, error) {
	return nil, errors.New("needs Linux")
}
