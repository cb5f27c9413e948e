//go:build linux

package cmd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// TestOwnersBPFAndProcSameColumns runs the CLI on one real scene with the BPF
// owner iterator and with the /proc walk (KUBECTL_NETSTAT_OWNERS=proc) and
// requires byte-identical output: listeners in new network namespaces whose
// sockets sit after 600 other fds, a socket shared by the test and two
// listeners (lowest PID wins), and a program name longer than the column.
func TestOwnersBPFAndProcSameColumns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and reads every process's fds")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("no kernel BTF: the BPF owner path cannot load here")
	}
	bin := buildListen(t)
	long := filepath.Join(filepath.Dir(bin), "kns-listen-with-a-long-program-name")
	if err := os.Symlink(bin, long); err != nil {
		t.Fatal(err)
	}
	shared, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	sf, err := shared.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	var filler []*os.File
	for range 600 {
		f, err := os.Open("/dev/null")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		filler = append(filler, f)
	}
	start := func(files []*os.File, args ...string) int {
		cmd := exec.Command("/usr/bin/unshare", append([]string{"--net", "--", long, "-udp"}, args...)...)
		cmd.ExtraFiles = files
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd.Process.Pid
	}
	pids := []int{
		start(append([]*os.File{sf}, filler...), "0.0.0.0:7001", "[::]:7002"),
		start([]*os.File{sf}, "127.0.0.1:7003"),
		start(filler[:10], "0.0.0.0:7004", "0.0.0.0:7005"),
	}
	ports := [][]int{{7001, 7002}, {7003}, {7004, 7005}}
	var targets []string
	for i, pid := range pids {
		waitListeningIn(t, pid, ports[i]...)
		targets = append(targets, "pid/"+strconv.Itoa(pid))
	}
	for _, args := range [][]string{
		append([]string{"-tulpnv"}, targets...),
		append([]string{"-tuanpv"}, targets...),
		append([]string{"-tulpnv", "--output", "wide"}, targets...),
	} {
		t.Setenv(inspect.OwnersEnv, "")
		out, errOut, code := runCmd(t, args...)
		if code != 0 || !strings.Contains(errOut, "owners: "+string(inspect.OwnersBPF)) {
			t.Fatalf("%v: exit %d, stderr %q; want the BPF owner path", args, code, errOut)
		}
		t.Setenv(inspect.OwnersEnv, "proc")
		outProc, errProc, code := runCmd(t, args...)
		if code != 0 || !strings.Contains(errProc, "owners: /proc fd walk") {
			t.Fatalf("%v: exit %d, stderr %q; want the /proc walk", args, code, errProc)
		}
		if out != outProc {
			t.Errorf("%v: BPF and /proc walk differ\nBPF:\n%s\n/proc:\n%s", args, out, outProc)
		}
		for _, pid := range pids {
			if !strings.Contains(out, " "+strconv.Itoa(pid)+"/kns-listen") {
				t.Errorf("%v: no row owned by %d/kns-listen…:\n%s", args, pid, out)
			}
		}
	}
}

// waitListeningIn waits until pid's network namespace has TCP listeners on
// every port (the holder may still be starting on a loaded machine).
func waitListeningIn(t *testing.T, pid int, ports ...int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var tables string
		for _, f := range []string{"tcp", "tcp6"} {
			b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/net/" + f)
			tables += string(b)
		}
		all := true
		for _, port := range ports {
			found := false
			for _, l := range strings.Split(tables, "\n") {
				f := strings.Fields(l)
				if len(f) > 3 && strings.HasSuffix(f[1], fmt.Sprintf(":%04X", port)) && f[3] == "0A" {
					found = true
				}
			}
			all = all && found
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d: not listening on all of %v", pid, ports)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
