package inspect

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
	"golang.org/x/sys/unix"
)

// ioctlAnswers is what net-tools' ioctls say of one name, to compare with
// the link dump ListInterfaces reads.
func ioctlAnswers(t *testing.T, fd int, name string) (flags IfFlags, mtu, txqlen int) {
	t.Helper()
	data, err := ifreqRaw(fd, unix.SIOCGIFFLAGS, name)
	if err != nil {
		t.Fatalf("SIOCGIFFLAGS %s: %v", name, err)
	}
	flags = IfFlags(binary.NativeEndian.Uint16(data[0:2]))
	data, err = ifreqRaw(fd, unix.SIOCGIFMTU, name)
	if err != nil {
		t.Fatalf("SIOCGIFMTU %s: %v", name, err)
	}
	mtu = int(int32(binary.NativeEndian.Uint32(data[0:4])))
	data, err = ifreqRaw(fd, unix.SIOCGIFTXQLEN, name)
	if err != nil {
		t.Fatalf("SIOCGIFTXQLEN %s: %v", name, err)
	}
	txqlen = int(int32(binary.NativeEndian.Uint32(data[0:4])))
	return
}

func listIn(t *testing.T, h nsenter.Handle) ([]Interface, int) {
	t.Helper()
	files, err := nsenter.OpenProcNet(h, "/proc", "dev")
	if err != nil || files[0] == nil {
		t.Fatalf("/proc/net/dev: %v", err)
	}
	dev, err := ReadNetDev(files[0])
	files[0].Close()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := nsenter.SocketAt(h, unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	ifs, err := ListInterfacesLong(fd, dev, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ifs, fd
}

// TestListInterfacesLinkDumpOfTheSocketsNamespace: the flags, MTU,
// txqueuelen and hardware address of the netlink dump are those of the
// socket's namespace and equal what the per-name ioctls answer, labels
// included.
func TestListInterfacesLinkDumpOfTheSocketsNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	name := fmt.Sprintf("kns-links-%d-%d", os.Getpid(), rand.Int31())
	// Unique names: the own-namespace check below must not meet another test's.
	va, vb := fmt.Sprintf("kva%d", rand.Intn(1e6)), fmt.Sprintf("kvb%d", rand.Intn(1e6))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	for _, args := range [][]string{
		{"link", "set", "lo", "mtu", "1234", "up"},
		{"addr", "add", "192.0.2.7/32", "dev", "lo", "label", "lo:7"},
		{"link", "add", va, "txqueuelen", "77", "address", "02:00:00:00:00:07", "type", "veth", "peer", "name", vb},
	} {
		if out, err := exec.Command("ip", append([]string{"-n", name}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	h, err := nsenter.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })

	ifs, fd := listIn(t, h)
	var names []string
	for _, it := range ifs {
		names = append(names, it.Name)
		fl, mtu, txq := ioctlAnswers(t, fd, it.Name)
		if it.Flags != fl || it.MTU != mtu || it.Detail.TxQueueLen != txq {
			t.Errorf("%s: link dump flags %#x mtu %d txqueuelen %d, ioctls %#x %d %d", it.Name, it.Flags, it.MTU, it.Detail.TxQueueLen, fl, mtu, txq)
		}
	}
	slices.Sort(names)
	if want := []string{va, vb, "lo", "lo:7"}; !slices.Equal(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	byName := map[string]Interface{}
	for _, it := range ifs {
		byName[it.Name] = it
	}
	if lo := byName["lo"]; lo.MTU != 1234 || lo.Flags&1 == 0 || byName["lo:7"].Flags != lo.Flags {
		t.Errorf("lo mtu %d flags %#x, lo:7 flags %#x: want mtu 1234, UP, label = device", lo.MTU, lo.Flags, byName["lo:7"].Flags)
	}
	v := byName[va]
	if v.Flags&1 != 0 || v.Detail.TxQueueLen != 77 || v.Detail.HWAddr.String()[:17] != "02:00:00:00:00:07" {
		t.Errorf("%s flags %#x txqueuelen %d hwaddr %s: want down, 77, 02:00:00:00:00:07", va, v.Flags, v.Detail.TxQueueLen, v.Detail.HWAddr)
	}

	// The caller's own namespace: not the test's links, and its lo agrees
	// with the ioctls (other interfaces here come and go with other tests).
	own, fd := listIn(t, nsenter.None())
	sawLo := false
	for _, it := range own {
		if it.Name == va || it.Name == vb {
			t.Errorf("the test namespace's %s listed in the caller's own", it.Name)
		}
		if it.Name == "lo" {
			sawLo = true
			fl, mtu, _ := ioctlAnswers(t, fd, it.Name)
			if it.Flags != fl || it.MTU != mtu {
				t.Errorf("own lo: link dump flags %#x mtu %d, ioctls %#x %d", it.Flags, it.MTU, fl, mtu)
			}
		}
	}
	if !sawLo {
		t.Errorf("own namespace: no lo in %d interfaces", len(own))
	}
}
