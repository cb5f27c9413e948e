package bpfowner

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// MountIter is a loaded and attached mount-namespace walker (mounts.bpf.c):
// one pass tells, for each mount namespace of a thread-group leader, whether
// its mountinfo can hold a namespace-file mount not seen in a namespace
// visited before it.
type MountIter struct {
	mu   sync.Mutex
	objs mountsObjects
	link *link.Iter
	gen  uint32
	bufs [][]byte
}

var sharedMounts struct {
	sync.Mutex
	it   *MountIter
	err  error
	done bool
}

// SharedMounts returns the process-wide mount walker, loading it on first
// use; a failure is remembered, so the fallback (reading every mountinfo)
// is chosen once per run.
func SharedMounts() (*MountIter, error) {
	sharedMounts.Lock()
	defer sharedMounts.Unlock()
	if !sharedMounts.done {
		sharedMounts.done = true
		sharedMounts.it, sharedMounts.err = LoadMounts()
	}
	return sharedMounts.it, sharedMounts.err
}

// LoadMounts loads and attaches a new mount walker.
func LoadMounts() (*MountIter, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("not root")
	}
	spec, err := loadMounts()
	if err != nil {
		return nil, err
	}
	it := &MountIter{bufs: newBufs(2, 16<<10)}
	if err := spec.LoadAndAssign(&it.objs, &ebpf.CollectionOptions{Cache: kernelTypes}); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	l, err := attach(it.objs.Mountns, &it.objs, "task")
	if err != nil {
		return nil, err
	}
	it.link = l
	return it, nil
}

// Close detaches and unloads the program.
func (it *MountIter) Close() error {
	if it == nil {
		return nil
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	return detach(&it.link, &it.objs)
}

const nsrecSize = int(unsafe.Sizeof(mountsNsrec{}))

// Pass walks every mount namespace once and returns, by mount namespace
// inode, whether its mountinfo must be read: true when it holds an nsfs
// mount (inode, mount point) that no namespace visited before it holds, or
// when the walk could not vouch for it. A namespace missing from the map
// was not seen (a process that came later): read it too.
func (it *MountIter) Pass() (map[uint64]bool, error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.link == nil {
		return nil, errors.New("iterator closed")
	}
	// A new generation makes every entry of the last pass stale.
	it.gen++
	if it.gen == 0 {
		it.gen = 1
	}
	if err := it.objs.Gen.Set(it.gen); err != nil {
		return nil, fmt.Errorf("set gen: %w", err)
	}
	rc, err := it.link.Open()
	if err != nil {
		return nil, fmt.Errorf("open task iterator: %w", err)
	}
	defer rc.Close()
	out := map[uint64]bool{}
	err = readRecords(rc, it.bufs, nsrecSize, "task", func(b []byte) {
		ino := uint64(binary.NativeEndian.Uint32(b[0:]))
		out[ino] = out[ino] || binary.NativeEndian.Uint32(b[4:]) != 0
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
