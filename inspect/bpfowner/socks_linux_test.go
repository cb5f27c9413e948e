package bpfowner

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSockWalkGrowsRing: a pass with more sockets than the ring holds grows
// the ring once and hands over every socket, none twice.
func TestSockWalkGrowsRing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading BPF programs needs root")
	}
	// One page holds 51 records; the test's own 200 UDP sockets (on
	// loopback, port chosen by the kernel) do not fit.
	w, err := loadSockWalk(uint32(os.Getpagesize()))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mine := map[uint64]bool{}
	for i := 0; i < 200; i++ {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			t.Fatal(err)
		}
		mine[st.Ino] = true
	}
	var self unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &self); err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]int{}
	info, err := w.Pass(false, func(r *SockRecord) {
		if mine[r.Inode] {
			seen[r.Inode]++
			if r.Netns != uint32(self.Ino) || r.Proto != unix.IPPROTO_UDP || r.Family != unix.AF_INET || r.Sport == 0 {
				t.Errorf("socket %d: %+v", r.Inode, *r)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !info.Covered[self.Ino] {
		t.Errorf("this namespace (%d) not reported as walked", self.Ino)
	}
	if len(seen) != len(mine) {
		t.Errorf("%d of the test's %d sockets seen", len(seen), len(mine))
	}
	for ino, n := range seen {
		if n != 1 {
			t.Errorf("socket %d seen %d times", ino, n)
		}
	}
	if w.ring <= uint32(os.Getpagesize()) {
		t.Errorf("ring not grown: %d bytes", w.ring)
	}
	t.Logf("ring grown to %d bytes", w.ring)
}

// TestSockWalkRetracts: an established bucket walked again (as when a
// socket moved to another chain under the walk) hands over its sockets once:
// what was sent of it first is dropped.
func TestSockWalkRetracts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading BPF programs needs root")
	}
	w, err := LoadSockWalk()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(l)
	if err := unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(l, 128); err != nil {
		t.Fatal(err)
	}
	lsa, _ := unix.Getsockname(l)
	mine := map[uint64]bool{}
	for i := 0; i < 100; i++ {
		c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(c)
		if err := unix.Connect(c, lsa); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		unix.Fstat(c, &st)
		mine[st.Ino] = true
	}
	for _, every := range []uint32{1, 3, 0} {
		if err := w.forceRedo(every); err != nil {
			t.Fatal(err)
		}
		seen := map[uint64]int{}
		info, err := w.Pass(true, func(r *SockRecord) {
			if mine[r.Inode] {
				seen[r.Inode]++
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if !info.Conns {
			t.Fatal("connections not walked")
		}
		for ino := range mine {
			if seen[ino] != 1 {
				t.Errorf("every %d: connection %d seen %d times", every, ino, seen[ino])
			}
		}
		if every == 1 && info.Redone < uint32(len(mine)) {
			t.Errorf("every bucket: %d walked again, want at least %d (one per connection of the test's)", info.Redone, len(mine))
		}
		t.Logf("every %d: %d buckets walked again", every, info.Redone)
	}
}
