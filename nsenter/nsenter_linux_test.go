package nsenter

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"sync"
	"testing"

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
	_, want, err := h.ID()
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
	if _, ino, _ := h.ID(); st.Ino != ino {
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
