//go:build linux

package cmd

import (
	"bufio"
	"context"
	"io"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
)

// selfStatus reads a numeric field of /proc/self/status (Threads, VmRSS in kB).
func selfStatus(t *testing.T, field string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// TestRefreshesFlat runs the -c loop's body (once per refresh, without the
// sleep) KNS_REFRESHES times (default 300) for --all-containers -tulpn and
// requires fds, threads, goroutines and the live heap to stay flat: the
// namespace handles, readers and the BPF program are opened once per run,
// not per refresh. It logs the per-refresh cost (bench/fleet.sh -c runs it on
// the fleet).
func TestRefreshesFlat(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and reads every process's fds")
	}
	refreshes := 300
	if v, err := strconv.Atoi(os.Getenv("KNS_REFRESHES")); err == nil && v > 0 {
		refreshes = v
	}
	// A few namespaces of our own, so there is always something to enter.
	for i := range 5 {
		name := "kns-refresh-" + fixture.RandHex(4) + "-" + strconv.Itoa(i)
		if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "delete", name).Run() })
	}
	args := []string{"--all-containers", "-tulpn"}
	o := newNetstatOptions(genericiooptions.IOStreams{Out: io.Discard, ErrOut: io.Discard})
	o.pre = preprocess(args)
	cmd := newRootCmd(o)
	if err := cmd.ParseFlags(o.pre.args); err != nil {
		t.Fatal(err)
	}
	if err := o.Complete(cmd, cmd.Flags().Args()); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	sc, err := o.newViewSet(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sc.close()
	w := bufio.NewWriter(io.Discard)

	type sample struct {
		fds, threads, goroutines, heap, views int
		kinds                                 map[string]int // fds by what they are: "socket", "net", "anon_inode:bpf-link", …
	}
	take := func() sample {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		d, _ := os.ReadDir("/proc/self/fd")
		kinds := map[string]int{}
		for _, e := range d {
			l, _ := os.Readlink("/proc/self/fd/" + e.Name())
			k, _, _ := strings.Cut(l, "[")
			kinds[strings.TrimSuffix(k, ":")]++
		}
		return sample{len(d), selfStatus(t, "Threads"), runtime.NumGoroutine(), int(ms.HeapInuse), len(sc.views), kinds}
	}
	var base sample
	warm := min(50, refreshes/2)
	var start time.Time
	for i := range refreshes {
		if i == warm {
			base, start = take(), time.Now()
		}
		if err := o.once(w, sc, i); err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		w.Flush()
	}
	per := time.Since(start) / time.Duration(refreshes-warm)
	end := take()
	t.Logf("%d namespaces, owners %q: %v per refresh; after %d and %d refreshes: namespaces shown %d→%d, fds %d→%d, threads %d→%d, goroutines %d→%d, heap %.1f→%.1f MiB",
		len(sc.views), sc.procs.Owners, per, warm, refreshes, base.views, end.views, base.fds, end.fds, base.threads, end.threads,
		base.goroutines, end.goroutines, float64(base.heap)/(1<<20), float64(end.heap)/(1<<20))
	for k, n := range end.kinds {
		if n != base.kinds[k] {
			t.Logf("fds %q: %d→%d", k, base.kinds[k], n)
		}
	}
	for k, n := range base.kinds {
		if _, ok := end.kinds[k]; !ok {
			t.Logf("fds %q: %d→0", k, n)
		}
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err == nil && sc.procs.Owners != inspect.OwnersBPF {
		t.Errorf("owners %q (%s), want the BPF iterator", sc.procs.Owners, sc.procs.OwnersFallback)
	}
	// Other jobs on the machine add and remove namespaces meanwhile: the
	// bounds allow that, not growth per refresh. A namespace shown holds at
	// most two fds (its handle and its reader's netlink socket).
	if grown := max(0, end.views-base.views); end.fds > base.fds+2*grown+4 {
		t.Errorf("fds grew from %d to %d (namespaces shown %d→%d)", base.fds, end.fds, base.views, end.views)
	}
	if end.threads > base.threads+4 {
		t.Errorf("threads grew from %d to %d", base.threads, end.threads)
	}
	if end.goroutines > base.goroutines+2 {
		t.Errorf("goroutines grew from %d to %d", base.goroutines, end.goroutines)
	}
	if end.heap > base.heap*3/2+4<<20 {
		t.Errorf("live heap grew from %d to %d bytes", base.heap, end.heap)
	}
}
