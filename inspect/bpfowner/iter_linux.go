package bpfowner

import (
	"errors"
	"fmt"
	"io"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
)

// kernelTypes is the kernel's BTF, parsed once for both programs (the
// owner iterator and the mount walker may load in one run).
var kernelTypes = btf.NewCache()

// attach makes prog's iterator link; on failure it closes objs.
func attach(prog *ebpf.Program, objs io.Closer, what string) (*link.Iter, error) {
	l, err := link.AttachIter(link.IterOptions{Program: prog})
	if err != nil {
		objs.Close()
		return nil, fmt.Errorf("attach %s iterator: %w", what, err)
	}
	return l, nil
}

// detach closes the link (once) and the program's objects.
func detach(l **link.Iter, objs io.Closer) error {
	var err error
	if *l != nil {
		err = (*l).Close()
		*l = nil
	}
	return errors.Join(err, objs.Close())
}

// readRecords reads one iterator instance to its end and calls fn for each
// size-byte record, on the caller's goroutine. The kernel fills the next
// buffer while the last one is decoded: the decoding (a map insert per
// socket in the owner pass) was a quarter of the pass's wall time when done
// between reads. A read returns whole seq_file buffers, which need not end
// on a record boundary: a record cut between two reads is put together.
func readRecords(rc io.Reader, bufs [][]byte, size int, what string, fn func([]byte)) error {
	type chunk struct {
		b   []byte
		n   int
		err error
	}
	free := make(chan []byte, len(bufs))
	full := make(chan chunk, len(bufs))
	for _, b := range bufs {
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
	carry := make([]byte, size)
	have := 0
	for c := range full {
		data := c.b[:c.n]
		if have > 0 {
			k := copy(carry[have:], data)
			have += k
			data = data[k:]
			if have == size {
				fn(carry)
				have = 0
			}
		}
		for len(data) >= size {
			fn(data[:size])
			data = data[size:]
		}
		have += copy(carry[have:], data)
		free <- c.b
		if errors.Is(c.err, io.EOF) {
			if have != 0 {
				return fmt.Errorf("%s iterator: %d trailing bytes", what, have)
			}
			return nil
		}
		if c.err != nil {
			return fmt.Errorf("read %s iterator: %w", what, c.err)
		}
	}
	return nil
}

// newBufs makes n read buffers of size bytes.
func newBufs(n, size int) [][]byte {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	return bufs
}
