package bpfowner

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"io"
	"os"
	"sync"
	"unsafe"

	"github.com/cilium/ebpf/link"
)

// Iter is a loaded and attached iterator program. Each pass opens a new
// iterator instance from the same link, so repeated passes (-c) load nothing.
type Iter struct {
	mu   sync.Mutex // one pass at a time: the program's per-task cache is global
	objs ownerObjects
	link *link.Iter
	bufs [3][]byte
}

// kernelTypes is the kernel's BTF, parsed once for both programs (the
// owner iterator and the mount walker may load in one run).
var kernelTypes = btf.NewCache()

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
	it := &Iter{}
	for i := range it.bufs {
		it.bufs[i] = make([]byte, 64<<10)
	}
	if err := spec.LoadAndAssign(&it.objs, &ebpf.CollectionOptions{Cache: kernelTypes}); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	l, err := link.AttachIter(link.IterOptions{Program: it.objs.Owners})
	if err != nil {
		it.objs.Close()
		return nil, fmt.Errorf("attach task_file iterator: %w", err)
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
	var err error
	if it.link != nil {
		err = it.link.Close()
		it.link = nil
	}
	return errors.Join(err, it.objs.Close())
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
	// The kernel fills the next buffer while this goroutine decodes the
	// last one: the decoding (a map insert per socket in the caller) was
	// a quarter of the pass's wall time when done between reads.
	type chunk struct {
		b   []byte
		n   int
		err error
	}
	free := make(chan []byte, len(it.bufs))
	full := make(chan chunk, len(it.bufs))
	for _, b := range it.bufs {
		free <- b
	}
	go func() {
		for {
			b := <-free
			n, err := rc.Read(b)
			full <- chunk{b, n, err}
			if err != nil {
				return // the decoder stops at this chunk
			}
		}
	}()
	decode := func(b []byte) {
		fn(Record{
			PID:   int(binary.NativeEndian.Uint32(b[0:])),
			FD:    int(binary.NativeEndian.Uint32(b[4:])),
			Inode: binary.NativeEndian.Uint64(b[8:]),
			Kind:  Kind(binary.NativeEndian.Uint32(b[16:])),
		})
	}
	// A read returns whole seq_file buffers, which need not end on a
	// record boundary: a record cut between two reads is put together.
	var carry [recordSize]byte
	have := 0
	for c := range full {
		data := c.b[:c.n]
		if have > 0 {
			k := copy(carry[have:], data)
			have += k
			data = data[k:]
			if have == recordSize {
				decode(carry[:])
				have = 0
			}
		}
		for len(data) >= recordSize {
			decode(data[:recordSize])
			data = data[recordSize:]
		}
		have += copy(carry[have:], data)
		free <- c.b
		if errors.Is(c.err, io.EOF) {
			if have != 0 {
				return fmt.Errorf("task_file iterator: %d trailing bytes", have)
			}
			return nil
		}
		if c.err != nil {
			return fmt.Errorf("read task_file iterator: %w", c.err)
		}
	}
	return nil
}
