package bpfowner

import (
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// maxVerified bounds what the verifier may walk for one program: every
// run pays its verification, so a program that makes the verifier explore
// many states (nested bounded loops) shows up here before it shows up as a
// slow start.
const maxVerified = 100_000

func requireBTF(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: loads BPF programs")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("no kernel BTF (/sys/kernel/btf/vmlinux)")
	}
}

func verified(t *testing.T, p *ebpf.Program) uint32 {
	t.Helper()
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	n, ok := info.VerifiedInstructions()
	if !ok {
		t.Skip("kernel does not report verified instructions")
	}
	return n
}

// TestProgramsLoadCheaply loads the programs as a run does and bounds the
// verifier's work for each.
func TestProgramsLoadCheaply(t *testing.T) {
	requireBTF(t)
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/pid", &st); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	owners, err := Load(st.Ino)
	if err != nil {
		t.Fatalf("owner iterator: %v", err)
	}
	defer owners.Close()
	tOwners := time.Since(start)
	start = time.Now()
	mounts, err := LoadMounts()
	if err != nil {
		t.Fatalf("mount walker: %v", err)
	}
	defer mounts.Close()
	tMounts := time.Since(start)
	start = time.Now()
	socks, err := LoadSockWalk()
	if err != nil {
		t.Fatalf("socket walker: %v", err)
	}
	defer socks.Close()
	tSocks := time.Since(start)
	vo, vm, vs := verified(t, owners.objs.Owners), verified(t, mounts.objs.Mountns), verified(t, socks.objs.Socks)
	t.Logf("owner iterator: %v, %d instructions verified; mount walker: %v, %d; socket walker: %v, %d", tOwners, vo, tMounts, vm, tSocks, vs)
	for name, n := range map[string]uint32{"owner iterator": vo, "mount walker": vm, "socket walker": vs} {
		if n > maxVerified {
			t.Errorf("%s: the verifier walked %d instructions, want <= %d", name, n, maxVerified)
		}
	}
}
