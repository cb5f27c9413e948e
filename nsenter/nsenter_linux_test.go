package nsenter

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newTestNetns creates a named namespace with ip(8) and returns an open handle.
func newTestNetns(t *testing.T) Handle {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	name := fmt.Sprintf("kns-nsenter-%d-%d", os.Getpid(), rand.Int31())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	h, err := Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func selfNetns(t *testing.T) (uint64, uint64) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return st.Dev, st.Ino
}

func TestDoEntersAndNeverLeaksThread(t *testing.T) {
	h := newTestNetns(t)
	_, want, err := ID(h)
	if err != nil {
		t.Fatal(err)
	}
	_, host := selfNetns(t)
	// Many goroutines at once: every one must see the target inside Do and
	// the host namespace outside it, on whatever thread it runs.
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := Do(h, func() error {
				_, got := selfNetns(t)
				if got != want {
					return fmt.Errorf("inside Do: netns %d, want %d", got, want)
				}
				return nil
			})
			if err != nil {
				errs <- err
			}
			if _, got := selfNetns(t); got != host {
				errs <- fmt.Errorf("after Do: netns %d, want host %d", got, host)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSocketAtStaysInNamespace(t *testing.T) {
	h := newTestNetns(t)
	fd, err := SocketAt(h, unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	// The fresh namespace's loopback is down: binding 127.0.0.1 works but
	// listening and connecting from the host namespace must not see it.
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	nsfd, err := unix.IoctlRetInt(fd, unix.SIOCGSKNS)
	if err != nil {
		t.Skipf("SIOCGSKNS: %v", err)
	}
	defer unix.Close(nsfd)
	var st unix.Stat_t
	if err := unix.Fstat(nsfd, &st); err != nil {
		t.Fatal(err)
	}
	if _, ino, _ := ID(h); st.Ino != ino {
		t.Errorf("socket is in netns %d, want %d", st.Ino, ino)
	}
}

func TestOpenRejectsOtherFiles(t *testing.T) {
	if _, err := Open("/proc/self/ns/uts"); err == nil {
		t.Error("uts namespace accepted as a network namespace")
	}
	if _, err := Open("/etc/hostname"); err == nil {
		t.Error("regular file accepted as a network namespace")
	}
	if _, err := Open("/nonexistent/netns"); err == nil {
		t.Error("missing path accepted")
	}
}

func TestDoRecoversPanic(t *testing.T) {
	h := newTestNetns(t)
	if err := Do(h, func() error { panic("boom") }); err == nil {
		t.Error("panic inside Do returned no error")
	}
}

func TestDoClosedHandle(t *testing.T) {
	if err := Do(None(), func() error { return nil }); err == nil {
		t.Error("Do on None returned no error")
	}
}

// A process can swap the fd that discovery saw as a namespace for a FIFO
// before root opens /proc/PID/fd/N: the open must neither block nor accept it.
func TestOpenFdSwappedToFIFONeverBlocks(t *testing.T) {
	p := t.TempDir() + "/fifo"
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Hold the FIFO as a reader only (O_NONBLOCK: no writer needed), so
	// /proc/self/fd/N points at a FIFO that has no writer.
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for _, path := range []string{p, fmt.Sprintf("/proc/self/fd/%d", fd)} {
		done := make(chan error, 1)
		go func() {
			h, err := Open(path)
			if err == nil {
				h.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotNetns) {
				t.Errorf("Open(%s) = %v, want ErrNotNetns", path, err)
			}
		case <-time.After(30 * time.Second):
			// Generous: a blocked open never returns at all.
			t.Fatalf("Open(%s) blocked on a FIFO", path)
		}
	}
}

// A character device must be refused without being opened (O_PATH first).
func TestOpenRefusesDevices(t *testing.T) {
	for _, p := range []string{"/dev/null", "/dev/full", "/dev/zero"} {
		if _, err := Open(p); !errors.Is(err, ErrNotNetns) {
			t.Errorf("Open(%s) = %v, want ErrNotNetns", p, err)
		}
	}
}

// An nsfs fd held by a process (not a bind mount) opens through /proc/PID/fd/N.
func TestOpenNsfsFd(t *testing.T) {
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("open own netns: %v", err)
	}
	defer unix.Close(fd)
	h, err := Open(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	if _, ino, _ := ID(h); ino != st.Ino {
		t.Errorf("opened netns %d, want %d", ino, st.Ino)
	}
}
