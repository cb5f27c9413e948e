package bpfowner

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// SockWalk is a loaded and attached socket-table walker (socks.bpf.c): one
// pass sends every TCP listener (and, asked for, every other hashed TCP
// socket) and UDP socket of the host's shared tables,
// each tagged with its network namespace, and says which namespaces' tables
// were walked.
type SockWalk struct {
	mu   sync.Mutex
	objs socksObjects
	link *link.Iter
	rd   *ringbuf.Reader
	rec  ringbuf.Record
	bufs [][]byte
	held []SockRecord // one established bucket's records (pass)
	ring uint32       // the ring buffer's size in bytes
	// lite is an unbound UDP-Lite socket the program follows to the
	// UDP-Lite table (-1: the kernel has no UDP-Lite).
	lite int
	// redoEvery is the test's force_redo, set again by a reload (a grown
	// ring), which would otherwise reset it.
	redoEvery uint32
}

// SockRecord is one socket of a walk, with the fields inet_diag reports.
type SockRecord struct {
	Netns  uint32
	Family uint16 // AF_INET or AF_INET6
	Proto  uint8  // IPPROTO_TCP, IPPROTO_UDP or IPPROTO_UDPLITE
	State  uint8  // as sock_diag filters: TCP_NEW_SYN_RECV for a request sock, a timewait sock's substate
	Sport  uint16 // host order
	Dport  uint16 // host order
	UID    uint32
	RecvQ  uint32
	SendQ  uint32
	Inode  uint64
	Src    [16]byte // the first 4 bytes for AF_INET
	Dst    [16]byte
}

// ErrRingFull is a pass whose sockets did not fit the ring buffer.
var ErrRingFull = errors.New("socket walk: ring buffer full")

var sharedSocks struct {
	sync.Mutex
	w    *SockWalk
	err  error
	done bool
}

// SharedSockWalk returns the process-wide walker, loading it on first use;
// a failure is remembered, so the fallback (a dump per namespace) is chosen
// once per run.
func SharedSockWalk() (*SockWalk, error) {
	sharedSocks.Lock()
	defer sharedSocks.Unlock()
	if !sharedSocks.done {
		sharedSocks.done = true
		sharedSocks.w, sharedSocks.err = LoadSockWalk()
	}
	return sharedSocks.w, sharedSocks.err
}

// defaultRing holds about 3,600 records (the listeners and UDP sockets of
// a hundred namespaces). The kernel maps the whole ring into the reader,
// twice: its size is resident memory. A host with more sockets grows it
// once, to what the pass counted (Pass).
const defaultRing = 256 << 10

// maxRing bounds the ring a pass may grow to (ErrRingFull beyond): about
// 200,000 sockets, 32 MiB resident. A walk hands over every namespace's
// sockets at once; past this the namespaces are dumped one at a time, so
// memory stays bounded by the largest namespace.
const maxRing = 16 << 20

// LoadSockWalk loads and attaches a new walker.
func LoadSockWalk() (*SockWalk, error) { return loadSockWalk(defaultRing) }

func loadSockWalk(ring uint32) (*SockWalk, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("not root")
	}
	w := &SockWalk{bufs: newBufs(2, 16<<10), lite: -1}
	if fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDPLITE); err == nil {
		w.lite = fd
	}
	if err := w.load(ring); err != nil {
		w.closeLite()
		return nil, err
	}
	return w, nil
}

// load loads the program with a ring buffer of ring bytes (a power of two).
func (w *SockWalk) load(ring uint32) error {
	spec, err := loadSocks()
	if err != nil {
		return err
	}
	spec.Maps["socks_rb"].MaxEntries = ring
	if err := spec.Variables[socksVarUdpliteFd].Set(int32(w.lite)); err != nil {
		return fmt.Errorf("set udplite_fd: %w", err)
	}
	if err := spec.Variables[socksVarForceRedo].Set(w.redoEvery); err != nil {
		return fmt.Errorf("set force_redo: %w", err)
	}
	if err := spec.LoadAndAssign(&w.objs, &ebpf.CollectionOptions{Cache: kernelTypes}); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	rd, err := ringbuf.NewReader(w.objs.SocksRb)
	if err != nil {
		w.objs.Close()
		return fmt.Errorf("ring buffer: %w", err)
	}
	l, err := attach(w.objs.Socks, &w.objs, "task")
	if err != nil {
		rd.Close()
		return err
	}
	w.rd, w.link, w.ring = rd, l, ring
	return nil
}

// unload closes what load made.
func (w *SockWalk) unload() error {
	var err error
	if w.rd != nil {
		err = w.rd.Close()
		w.rd = nil
	}
	return errors.Join(err, detach(&w.link, &w.objs))
}

// Close detaches and unloads the program.
func (w *SockWalk) Close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.unload()
	w.closeLite()
	return err
}

func (w *SockWalk) closeLite() {
	if w.lite >= 0 {
		unix.Close(w.lite)
		w.lite = -1
	}
}

const netrecSize = int(unsafe.Sizeof(socksNetrec{}))

// Record flags (socks.bpf.c).
const (
	recEhash   = 1
	recRetract = 2
)

// PassInfo says what a pass walked.
type PassInfo struct {
	// Covered are the namespaces (by inode) whose TCP and UDP tables were
	// both walked: every listener and UDP socket of theirs was sent.
	Covered map[uint64]bool
	// UDPLite: the UDP-Lite table (shared by every namespace) was walked
	// too, so covered namespaces' UDP-Lite sockets were sent.
	UDPLite bool
	// Conns: the established hashes were walked too (connections, timewait
	// and request socks); Redone counts their buckets walked twice.
	Conns  bool
	Redone uint32
}

// Pass walks the tables once and calls fn for each socket in table order:
// listeners in the listening hash's bucket order, then (with conns) the
// other TCP sockets in the established hash's, then UDP sockets in the UDP
// hash's, then UDP-Lite sockets, as sock_diag dumps them. fn is called for sockets of every
// namespace, walked or not by this definition; it must not keep rec's
// arrays' backing past the call (they are copied values). A namespace
// missing from the result (no task of it was seen, or its table was one too
// many) must be read another way.
func (w *SockWalk) Pass(conns bool, fn func(rec *SockRecord)) (PassInfo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		info, total, err := w.pass(conns, fn)
		if !errors.Is(err, ErrRingFull) || w.ring >= maxRing {
			return info, err
		}
		// Nothing was handed to fn: load a ring that holds what this
		// pass counted and a quarter more, keep it for later passes
		// (-c), and walk again.
		ring := w.ring * 2
		for uint64(ring) < uint64(total)*ringRecord*5/4 && ring < maxRing {
			ring *= 2
		}
		if err := errors.Join(w.unload(), w.load(ring)); err != nil {
			return PassInfo{}, fmt.Errorf("socket walk: grow ring to %d bytes: %w", ring, err)
		}
	}
}

// ringRecord is a record's room in the ring: the record and the ring's
// 8-byte header.
const ringRecord = uint64(unsafe.Sizeof(socksSockrec{})) + 8

// pass is one walk; total counts the sockets the walk found, fitting or not.
func (w *SockWalk) pass(conns bool, fn func(rec *SockRecord)) (info PassInfo, total uint32, err error) {
	if w.link == nil {
		return info, 0, errors.New("walker closed")
	}
	want := uint32(0)
	if conns {
		want = 1
	}
	if err := w.objs.WantConns.Set(want); err != nil {
		return info, 0, fmt.Errorf("socket walk: %w", err)
	}
	rc, err := w.link.Open()
	if err != nil {
		return info, 0, fmt.Errorf("open task iterator: %w", err)
	}
	covered := map[uint64]bool{}
	err = readRecords(rc, w.bufs, netrecSize, "task", func(b []byte) {
		// Namespaces of several tasks come more than once; one table
		// index each (the kernel keeps one pair of tables per namespace).
		if b[4] != 0 && b[5] != 0 {
			covered[uint64(binary.NativeEndian.Uint32(b[0:]))] = true
		}
	})
	rc.Close()
	if err != nil {
		return info, 0, err
	}
	var st socksWalk
	if err := w.objs.Walk.Get(&st); err != nil {
		return info, 0, fmt.Errorf("walk state: %w", err)
	}
	total = st.Lost + st.Sent
	// Every record of the pass is in the ring now: read to its end.
	w.rd.SetDeadline(time.Now())
	// An established bucket's records are held until the walk is past
	// the bucket: a retraction (it is walked again next) drops them.
	held := w.held[:0]
	var heldBucket [2]uint32 // bucket, table
	flush := func() {
		for i := range held {
			fn(&held[i])
		}
		held = held[:0]
	}
	defer func() { w.held = held[:0] }()
	var one SockRecord
	sent := uint32(0)
	for {
		err := w.rd.ReadInto(&w.rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			return info, total, fmt.Errorf("read ring buffer: %w", err)
		}
		b := w.rec.RawSample
		if len(b) < int(unsafe.Sizeof(socksSockrec{})) {
			return info, total, fmt.Errorf("socket walk: short record (%d bytes)", len(b))
		}
		sent++
		if st.Lost != 0 {
			continue // drained, then reported
		}
		flags := binary.NativeEndian.Uint32(b[68:])
		bucket := [2]uint32{binary.NativeEndian.Uint32(b[64:]), flags >> 8}
		switch {
		case flags&recRetract != 0:
			if bucket == heldBucket {
				held = held[:0]
			}
		case flags&recEhash == 0:
			flush()
			decodeSockrec(b, &one)
			fn(&one)
		default:
			if bucket != heldBucket {
				flush()
				heldBucket = bucket
			}
			held = append(held, SockRecord{})
			decodeSockrec(b, &held[len(held)-1])
		}
	}
	flush()
	switch {
	case st.Lost != 0:
		return info, total, fmt.Errorf("%w (%d of %d sockets did not fit %d bytes)", ErrRingFull, st.Lost, total, w.ring)
	case st.Done == 0:
		return info, total, errors.New("socket walk: not finished (step bound reached, or a table vanished)")
	case sent != st.Sent:
		return info, total, fmt.Errorf("socket walk: %d records read, %d sent", sent, st.Sent)
	}
	return PassInfo{Covered: covered, UDPLite: st.Udplite != 0, Conns: st.Conns != 0, Redone: st.Redone}, total, nil
}

// decodeSockrec decodes a struct sockrec (socks.bpf.c) by hand, as owners.go
// does its records: reflection-based decoding costs more than the walk.
func decodeSockrec(b []byte, r *SockRecord) {
	ne := binary.NativeEndian
	*r = SockRecord{
		Netns:  ne.Uint32(b[0:]),
		UID:    ne.Uint32(b[4:]),
		Inode:  ne.Uint64(b[8:]),
		RecvQ:  ne.Uint32(b[16:]),
		SendQ:  ne.Uint32(b[20:]),
		Family: ne.Uint16(b[24:]),
		Proto:  b[26],
		State:  b[27],
		Sport:  ne.Uint16(b[28:]),
		Dport:  binary.BigEndian.Uint16(b[30:]),
	}
	copy(r.Src[:], b[32:48])
	copy(r.Dst[:], b[48:64])
}

// forceRedo makes passes walk every n'th established bucket twice (0: none),
// for tests of the retraction.
func (w *SockWalk) forceRedo(n uint32) error {
	w.redoEvery = n
	return w.objs.ForceRedo.Set(n)
}
