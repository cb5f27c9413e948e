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

// Iter is a loaded and attached iterator program. Each pass opens a new
// iterator instance from the same link, so repeated passes (-c) load nothing.
type Iter struct {
	mu   sync.Mutex // one pass at a time: the program's per-task cache is global
	objs ownerObjects
	link *link.Iter
	bufs [][]byte
}

var shared struct {
	sync.Mutex
	pidns uint64
	it    *Iter
	err   error
	done  bool
}

// Shared returns the process-wide iterator for readers in the pid namespace
// with inode pidnsIno, loading it on first use. A failure is remembered, so
// the fallback is chosen once per run.
func Shared(pidnsIno uint64) (*Iter, error) {
	shared.Lock()
	defer shared.Unlock()
	if shared.done && shared.pidns == pidnsIno {
		return shared.it, shared.err
	}
	if shared.it != nil {
		shared.it.Close()
	}
	shared.pidns, shared.done = pidnsIno, true
	shared.it, shared.err = Load(pidnsIno)
	return shared.it, shared.err
}

// Load loads and attaches a new iterator for readers in the pid namespace
// with inode pidnsIno (tgids are reported as that namespace numbers them).
func Load(pidnsIno uint64) (*Iter, error) {
	if os.Geteuid() != 0 {
		// Loading needs CAP_BPF and CAP_PERFMON at least; failing early
		// spares a non-root run the kernel BTF parse.
		return nil, errors.New("not root")
	}
	if pidnsIno == 0 || pidnsIno > 1<<32-1 {
		return nil, fmt.Errorf("pid namespace inode %d out of range", pidnsIno)
	}
	spec, err := loadOwner()
	if err != nil {
		return nil, err
	}
	if err := spec.Variables[ownerVarPidnsIno].Set(uint32(pidnsIno)); err != nil {
		return nil, fmt.Errorf("set pidns_ino: %w", err)
	}
	it := &Iter{bufs: newBufs(3, 64<<10)}
	if err := spec.LoadAndAssign(&it.objs, &ebpf.CollectionOptions{Cache: kernelTypes}); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	l, err := attach(it.objs.Owners, &it.objs, "task_file")
	if err != nil {
		return nil, err
	}
	it.link = l
	return it, nil
}

// Close detaches and unloads the program.
func (it *Iter) Close() error {
	if it == nil {
		return nil
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	return detach(&it.link, &it.objs)
}

const recordSize = int(unsafe.Sizeof(ownerRecord{}))

// Each runs one pass over every open file of the tasks visible in the
// reader's pid namespace and calls fn for each socket and namespace fd of a
// thread-group leader, in ascending PID order then fd order.
func (it *Iter) Each(fn func(Record)) error { return it.each(true, fn) }

// EachNsfs is Each for namespace fds only: the kernel skips socket files
// (discovery without -p needs only the namespaces held by an fd).
func (it *Iter) EachNsfs(fn func(Record)) error { return it.each(false, fn) }

func (it *Iter) each(sockets bool, fn func(Record)) error {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.link == nil {
		return errors.New("iterator closed")
	}
	want := uint32(0)
	if sockets {
		want = 1
	}
	if err := it.objs.WantSockets.Set(want); err != nil {
		return fmt.Errorf("set want_sockets: %w", err)
	}
	rc, err := it.link.Open()
	if err != nil {
		return fmt.Errorf("open task_file iterator: %w", err)
	}
	defer rc.Close()
	return readRecords(rc, it.bufs, recordSize, "task_file", func(b []byte) {
		fn(Record{
			PID:   int(binary.NativeEndian.Uint32(b[0:])),
			FD:    int(binary.NativeEndian.Uint32(b[4:])),
			Inode: binary.NativeEndian.Uint64(b[8:]),
			Kind:  Kind(binary.NativeEndian.Uint32(b[16:])),
		})
	})
}
