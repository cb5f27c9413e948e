//go:build !windows

package cmd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The host-wide views, run in-process against this host as it is (bench/fleet.sh
// builds a fleet of namespaces to run them against). Profile with
//
//	go test -run '^$' -bench AllContainers -cpuprofile cpu.out ./pkg/cmd/
func benchRun(b *testing.B, args ...string) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: reads every process's fds and enters every network namespace")
	}
	b.ReportAllocs()
	for b.Loop() {
		if code := run(args, genericiooptions.IOStreams{Out: io.Discard, ErrOut: io.Discard}); code != 0 {
			b.Fatalf("kubectl-netstat %v: exit %d", args, code)
		}
	}
}

func BenchmarkAllContainersTulpn(b *testing.B) { benchRun(b, "--all-containers", "-tulpn") }
func BenchmarkAllContainersTanp(b *testing.B)  { benchRun(b, "--all-containers", "-tanp") }
func BenchmarkAllContainersTan(b *testing.B)   { benchRun(b, "--all-containers", "-tan") }
func BenchmarkAllContainersJSON(b *testing.B) {
	benchRun(b, "--all-containers", "-tanp", "--output", "json")
}

// TestListeningAuditMatchesNetstat checks the -l owner shortcut (lazyOwners)
// end to end: two namespaces, each with a bench/holder process (listeners
// among many established sockets); every namespace's block of
// `--all-containers -tulpn`, and of a `netns/PATH -tlnp` target, must equal
// netstat run inside that namespace, byte for byte.
func TestListeningAuditMatchesNetstat(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	if _, err := exec.LookPath("netstat"); err != nil {
		t.Skip("netstat not installed")
	}
	bin := filepath.Join(t.TempDir(), "holder")
	if out, err := exec.Command("go", "build", "-o", bin, "../../bench/holder").CombinedOutput(); err != nil {
		t.Fatalf("build bench/holder: %v\n%s", err, out)
	}
	var names []string
	for i := range 2 {
		name := fmt.Sprintf("kns-lazy-%d-%d-%d", os.Getpid(), rand.Int31(), i)
		if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
			t.Skipf("ip netns add: %v: %s", err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
		if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("lo up: %v: %s", err, out)
		}
		h := exec.Command("ip", "netns", "exec", name, bin, "-sockets", "300", "-port", strconv.Itoa(21000+100*i))
		stdout, _ := h.StdoutPipe()
		if err := h.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Process.Kill(); h.Wait() })
		if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || !strings.HasPrefix(line, "ready") {
			t.Fatalf("holder in %s: %q %v", name, line, err)
		}
		names = append(names, name)
	}
	netstat := func(name string, flags string) string {
		out, err := exec.Command("nsenter", "--net=/run/netns/"+name, "netstat", flags).Output()
		if err != nil {
			t.Fatalf("netstat %s in %s: %v", flags, name, err)
		}
		return string(out)
	}
	block := func(out string, ino uint64) string {
		var b strings.Builder
		on := false
		for _, l := range strings.SplitAfter(out, "\n") {
			if strings.HasPrefix(l, "# netns ") {
				on = strings.HasPrefix(l, fmt.Sprintf("# netns %d ", ino))
				continue
			}
			if on {
				b.WriteString(l)
			}
		}
		return b.String()
	}
	var all bytes.Buffer
	if code := run([]string{"--all-containers", "-tulpn"}, genericiooptions.IOStreams{Out: &all, ErrOut: io.Discard}); code != 0 {
		t.Fatalf("--all-containers -tulpn: exit %d", code)
	}
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Stat("/run/netns/"+name, &st); err != nil {
			t.Fatal(err)
		}
		want, got := netstat(name, "-tulpn"), block(all.String(), st.Ino)
		if !strings.Contains(want, "/holder") {
			t.Fatalf("netstat in %s shows no holder:\n%s", name, want)
		}
		if got != want {
			t.Errorf("%s: --all-containers -tulpn block differs from netstat -tulpn\n--- netstat\n%s--- kubectl-netstat\n%s", name, want, got)
		}
	}
	var one bytes.Buffer
	if code := run([]string{"netns/" + "/run/netns/" + names[1], "-tlnp"}, genericiooptions.IOStreams{Out: &one, ErrOut: io.Discard}); code != 0 {
		t.Fatalf("netns target: exit %d", code)
	}
	if want, got := netstat(names[1], "-tlnp"), one.String(); got != want {
		t.Errorf("netns/%s -tlnp differs from netstat -tlnp\n--- netstat\n%s--- kubectl-netstat\n%s", names[1], want, got)
	}
}
