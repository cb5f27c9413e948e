//go:build linux

package audit_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/audit"
	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// helperEnv makes the test binary act as a fixture container: run under
// `unshare -n`, it brings up lo with documentation addresses, opens
// listeners on wildcard, loopback and specific addresses (TCP, UDP, unix)
// plus non-listeners, says "ready", then obeys "open"/"close" lines on stdin.
const helperEnv = "KUBECTL_NETSTAT_AUDIT_HELPER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		if err := listenHelper(dir, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func listenHelper(dir string, in io.Reader, out io.Writer) error {
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"addr", "add", "192.0.2.1/32", "dev", "lo"},
		{"-6", "addr", "add", "2001:db8::1/128", "dev", "lo", "nodad"},
	} {
		if b, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %v: %v: %s", args, err, b)
		}
	}
	var keep []io.Closer
	listen := func(network, addr string) error {
		var c io.Closer
		var err error
		if strings.HasPrefix(network, "udp") {
			c, err = net.ListenPacket(network, addr)
		} else {
			c, err = net.Listen(network, addr)
		}
		keep = append(keep, c)
		return err
	}
	for _, l := range [][2]string{
		{"tcp4", "0.0.0.0:18080"},
		{"tcp4", "127.0.0.1:18081"},
		{"tcp4", "192.0.2.1:18082"},
		{"tcp6", "[::1]:18083"},
		{"tcp6", "[2001:db8::1]:18084"},
		{"tcp6", "[::]:18085"},
		{"udp4", "0.0.0.0:18053"},
		{"udp4", "127.0.0.1:18054"},
		{"udp6", "[2001:db8::1]:18055"},
		{"unix", filepath.Join(dir, "app.sock")},
	} {
		if err := listen(l[0], l[1]); err != nil {
			return err
		}
	}
	// Non-listeners: a connected UDP socket and both ends of a TCP
	// connection.
	cu, err := net.Dial("udp4", "127.0.0.1:18054")
	if err != nil {
		return err
	}
	ct, err := net.Dial("tcp4", "127.0.0.1:18081")
	if err != nil {
		return err
	}
	keep = append(keep, cu, ct)
	fmt.Fprintln(out, "ready")
	var extra net.Listener
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		switch sc.Text() {
		case "open":
			extra, err = net.Listen("tcp4", "192.0.2.1:18090")
		case "close":
			err = extra.Close()
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "ok")
	}
	for _, c := range keep {
		c.Close()
	}
	return nil
}

type fixture struct {
	pid int
	ns  *inspect.Netns
	in  io.Writer
	out *bufio.Scanner
}

func (f *fixture) do(t *testing.T, cmd string) {
	t.Helper()
	fmt.Fprintln(f.in, cmd)
	if !f.out.Scan() || f.out.Text() != "ok" {
		t.Fatalf("helper %s: %q %v", cmd, f.out.Text(), f.out.Err())
	}
}

func startFixture(t *testing.T) *fixture {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: unshares a network namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare not found:", err)
	}
	dir := t.TempDir()
	cmd := exec.Command("unshare", "-n", os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper: %v", err)
		}
	})
	out := bufio.NewScanner(outp)
	if !out.Scan() || out.Text() != "ready" {
		t.Fatalf("helper did not get ready: %q %v", out.Text(), out.Err())
	}
	// unshare execs the helper, so the pid is the helper's.
	pid := cmd.Process.Pid
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil {
		t.Fatal(err)
	}
	return &fixture{pid: pid, ns: &inspect.Netns{Dev: st.Dev, Inode: st.Ino, Kind: inspect.NetnsNamed}, in: in, out: out}
}

// scan reads the helper's socket tables the way the command does and turns
// them into listeners. Owners come from the helper's fds.
func (f *fixture) scan(t *testing.T) []audit.Listener {
	t.Helper()
	proc := &inspect.Process{PID: f.pid, Name: "audit.test"}
	owned := map[uint64]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", f.pid))
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", f.pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			ino, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]"), 10, 64)
			owned[ino] = true
		}
	}
	var socks []inspect.Socket
	for _, tbl := range []struct {
		file  string
		proto inspect.Proto
	}{{"tcp", inspect.ProtoTCP}, {"tcp6", inspect.ProtoTCP6}, {"udp", inspect.ProtoUDP}, {"udp6", inspect.ProtoUDP6}, {"unix", inspect.ProtoUnix}} {
		fh, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", f.pid, tbl.file))
		if err != nil {
			t.Fatal(err)
		}
		if tbl.proto == inspect.ProtoUnix {
			socks, _, err = inspect.ParseNetUnix(fh, socks)
		} else {
			socks, _, err = inspect.ParseNetIPSocket(fh, tbl.proto, socks)
		}
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	var ls []audit.Listener
	for i := range socks {
		if owned[socks[i].Inode] {
			socks[i].Owner = proc
		}
		if l, ok := audit.FromSocket(&socks[i], f.ns, nil, false); ok {
			ls = append(ls, l)
		}
	}
	audit.SortListeners(ls)
	return ls
}

func brief(ls []audit.Listener) []string {
	var out []string
	for _, l := range ls {
		where := netip.AddrPortFrom(l.Addr, l.Port).String()
		if l.Proto == inspect.ProtoUnix {
			where = filepath.Base(l.UnixPath)
		}
		out = append(out, fmt.Sprintf("%s %s %s pid=%d", l.Proto, where, l.Exposure, l.PID()))
	}
	return out
}

func TestLiveListeners(t *testing.T) {
	f := startFixture(t)
	got := brief(f.scan(t))
	p := f.pid
	want := []string{
		fmt.Sprintf("tcp 0.0.0.0:18080 all-interfaces pid=%d", p),
		fmt.Sprintf("tcp 127.0.0.1:18081 loopback pid=%d", p),
		fmt.Sprintf("tcp 192.0.2.1:18082 specific pid=%d", p),
		fmt.Sprintf("tcp6 [::]:18085 all-interfaces pid=%d", p),
		fmt.Sprintf("tcp6 [::1]:18083 loopback pid=%d", p),
		fmt.Sprintf("tcp6 [2001:db8::1]:18084 specific pid=%d", p),
		fmt.Sprintf("udp 0.0.0.0:18053 all-interfaces pid=%d", p),
		fmt.Sprintf("udp 127.0.0.1:18054 loopback pid=%d", p),
		fmt.Sprintf("udp6 [2001:db8::1]:18055 specific pid=%d", p),
		fmt.Sprintf("unix app.sock local pid=%d", p),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listeners (-want +got):\n%s", diff)
	}

	// The real netstat -l in the same namespace sees the same inet
	// listeners.
	if _, err := exec.LookPath("netstat"); err != nil {
		t.Skip("no netstat to compare with")
	}
	b, err := exec.Command("nsenter", "--net=/proc/"+strconv.Itoa(p)+"/ns/net", "netstat", "-lntu").Output()
	if err != nil {
		t.Fatalf("netstat: %v", err)
	}
	var ns []string
	for _, line := range strings.Split(string(b), "\n") {
		fs := strings.Fields(line)
		if len(fs) >= 4 && (strings.HasPrefix(fs[0], "tcp") || strings.HasPrefix(fs[0], "udp")) {
			ns = append(ns, fs[0]+" "+fs[3])
		}
	}
	var ours []string
	for _, l := range f.scan(t) {
		if l.Proto != inspect.ProtoUnix {
			ours = append(ours, fmt.Sprintf("%s %s:%d", l.Proto, l.Addr, l.Port))
		}
	}
	slices.Sort(ns)
	slices.Sort(ours)
	if diff := cmp.Diff(ns, ours); diff != "" {
		t.Errorf("netstat -lntu vs audit (-netstat +audit):\n%s", diff)
	}
}

func TestLiveWatch(t *testing.T) {
	f := startFixture(t)
	first := f.scan(t)
	if o, c := audit.Diff(first, f.scan(t)); len(o)+len(c) != 0 {
		t.Fatalf("quiet pass: opened %v closed %v", brief(o), brief(c))
	}
	f.do(t, "open")
	second := f.scan(t)
	opened, closed := audit.Diff(first, second)
	want := []string{fmt.Sprintf("tcp 192.0.2.1:18090 specific pid=%d", f.pid)}
	if diff := cmp.Diff(want, brief(opened)); diff != "" || len(closed) != 0 {
		t.Errorf("after open: opened (-want +got):\n%s closed: %v", diff, brief(closed))
	}
	f.do(t, "close")
	opened, closed = audit.Diff(second, f.scan(t))
	if diff := cmp.Diff(want, brief(closed)); diff != "" || len(opened) != 0 {
		t.Errorf("after close: closed (-want +got):\n%s opened: %v", diff, brief(opened))
	}
}
