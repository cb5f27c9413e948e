//go:build linux

package inspect_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
)

// TestMultiReader makes five network namespaces, each with one TCP listener
// on its own port (a socket the test creates inside it), and reads them
// through one MultiReader: Sockets and ReadAll hand each namespace's tables
// over in order (reads run ahead, two at a time), Reader opens a namespace
// once, Retain closes what is dropped, and a path that is no namespace is an
// *OpenError.
func TestMultiReader(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	fs, err := inspect.NewFS("/proc", "/")
	if err != nil {
		t.Fatal(err)
	}
	var nss []*inspect.Netns
	ports := map[uint64]int{}
	for i := range 5 {
		name := "kns-mr-" + fixture.RandHex(4) + "-" + strconv.Itoa(i)
		if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "delete", name).Run() })
		if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("lo up: %v %s", err, out)
		}
		path := "/run/netns/" + name
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		port := 23100 + i
		h, err := nsenter.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var fd int
		err = nsenter.Do(h, func() error {
			var err error
			if fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0); err != nil {
				return err
			}
			if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
				return err
			}
			return syscall.Listen(fd, 1)
		})
		h.Close()
		if err != nil {
			t.Fatalf("listen in %s: %v", name, err)
		}
		t.Cleanup(func() { syscall.Close(fd) })
		nss = append(nss, &inspect.Netns{Inode: st.Ino, Path: path})
		ports[st.Ino] = port
	}
	q := inspect.SocketQuery{Protos: []inspect.Proto{inspect.ProtoTCP}, TCPStates: inspect.StatesListen}
	onlyPort := func(t *testing.T, ns *inspect.Netns, res *inspect.SocketResult) {
		t.Helper()
		if len(res.Sockets) != 1 || int(res.Sockets[0].Local.Port()) != ports[ns.Inode] {
			t.Errorf("netns %d: sockets %+v, want one listener on %d", ns.Inode, res.Sockets, ports[ns.Inode])
		}
	}

	mr := fs.NewMultiReader(context.Background())
	defer mr.Close()
	var rs []*inspect.NetReader
	for _, ns := range nss {
		r, err := mr.Reader(nil, ns)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := mr.Reader(nil, ns); again != r {
			t.Errorf("netns %d opened twice", ns.Inode)
		}
		rs = append(rs, r)
	}
	var order []int
	err = mr.Sockets(rs, func(int) inspect.SocketQuery { return q }, func(k int, res *inspect.SocketResult, err error) error {
		if err != nil {
			return err
		}
		order = append(order, k)
		onlyPort(t, nss[k], res)
		return nil
	})
	if err != nil || len(order) != len(nss) {
		t.Fatalf("Sockets: %v, order %v", err, order)
	}
	for k, got := range order {
		if got != k {
			t.Fatalf("results out of order: %v", order)
		}
	}
	// fn's error stops the pass and is returned.
	stop := errors.New("stop")
	n := 0
	if err := mr.Sockets(rs, func(int) inspect.SocketQuery { return q }, func(int, *inspect.SocketResult, error) error {
		n++
		return stop
	}); err != stop || n != 1 {
		t.Errorf("Sockets after fn's error: %v after %d calls, want stop after 1", err, n)
	}
	// Retain keeps the first two open (same readers), drops the rest.
	mr.Retain(nss[:2])
	if r, _ := mr.Reader(nil, nss[0]); r != rs[0] {
		t.Error("a retained namespace was reopened")
	}
	if r, _ := mr.Reader(nil, nss[4]); r == rs[4] {
		t.Error("a dropped namespace kept its reader")
	}

	var seen []uint64
	bogus := &inspect.Netns{Inode: 1, Path: "/proc/self/status"}
	err = mr.ReadAll(nil, append([]*inspect.Netns{bogus}, nss...), q, false, func(ns *inspect.Netns, res *inspect.SocketResult, err error) error {
		seen = append(seen, ns.Inode)
		var oe *inspect.OpenError
		if ns == bogus {
			if !errors.As(err, &oe) || oe.Netns != bogus {
				t.Errorf("ReadAll of a file that is no namespace: %v, want an *OpenError", err)
			}
			return nil
		}
		if err != nil {
			return err
		}
		onlyPort(t, ns, res)
		return nil
	})
	if err != nil || len(seen) != len(nss)+1 || seen[0] != bogus.Inode || seen[1] != nss[0].Inode {
		t.Errorf("ReadAll: %v, namespaces in order %v", err, seen)
	}
}
