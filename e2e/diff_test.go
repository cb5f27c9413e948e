//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// flagSet is one netstat command line and how loosely its output compares.
type flagSet struct {
	args     []string
	mode     cmpMode
	optional bool // the brief asks for it only "if the tool supports it"
}

func (f flagSet) name() string {
	if len(f.args) == 0 {
		return "(none)"
	}
	return strings.Join(f.args, " ")
}

// flagSets: the seed's commands, the brief's list, and a few more that
// reach other corners of the format (-ee, -s per protocol, -6 stats).
var flagSets = []flagSet{
	{args: []string{"-rn"}, mode: ordered},
	{args: []string{"-an"}},
	{args: []string{"-unplt"}},
	{args: []string{"-atunp"}},
	{args: nil},
	{args: []string{"-tan"}},
	{args: []string{"-tuln"}},
	{args: []string{"-tulpn"}},
	{args: []string{"-tanpee"}},
	{args: []string{"-tano"}, mode: timers},
	{args: []string{"-tanoe"}, mode: timers},
	{args: []string{"-uwaneop"}, mode: timers},
	{args: []string{"-x"}},
	{args: []string{"-xap"}},
	{args: []string{"-xl"}},
	{args: []string{"-rne"}, mode: ordered},
	{args: []string{"-rnee"}, mode: ordered},
	{args: []string{"-r"}, mode: ordered},
	{args: []string{"-ree"}, mode: ordered},
	{args: []string{"-r", "-6"}, mode: ordered},
	{args: []string{"-rn", "-6"}, mode: ordered},
	{args: []string{"-6"}},
	{args: []string{"-4"}},
	{args: []string{"-i"}, mode: ordered},
	{args: []string{"-ia"}, mode: ordered},
	{args: []string{"-ie"}, mode: ordered, optional: true},
	{args: []string{"-s"}, mode: stats},
	{args: []string{"-st"}, mode: stats},
	{args: []string{"-su"}, mode: stats},
	{args: []string{"-s", "-6"}, mode: stats},
	{args: []string{"-W"}},
	{args: []string{"-a"}},
	{args: []string{"-l"}},
	{args: []string{"-tulpnW"}},
	{args: []string{"-anW"}},
	{args: []string{"-ua"}},
	{args: []string{"-w"}},
	{args: []string{"-aw"}},
	{args: []string{"-tuwx"}},
	{args: []string{"-A", "inet6"}},
	{args: []string{"-Ainet"}},
	{args: []string{"--tcp", "--listening", "--numeric", "--programs"}},
}

// nsExec is "ip netns exec NS BIN ARGS..." with a timeout.
func nsExec(ns, bin string, args ...string) result {
	return run(cmdTimeout, "ip", append([]string{"netns", "exec", ns, bin}, args...)...)
}

// sandwich runs ref, got, ref again and compares got with ref once the two
// ref runs agree (so the scene did not move while got ran). A moving scene
// is retried a few times; if it never holds still the test fails, since it
// then compares nothing.
func sandwich(t *testing.T, ref, got func() result, refName, gotName string, m cmpMode) {
	t.Helper()
	const tries = 6
	for i := 0; i < tries; i++ {
		a := ref()
		g := got()
		b := ref()
		if a.code != b.code || a.stderr != b.stderr || !sameOutput(a.stdout, b.stdout, m) {
			t.Logf("try %d: %s output moved between runs, retrying:\n%s", i+1, refName,
				explain(refName+" (before)", refName+" (after)", a.stdout, b.stdout, m))
			time.Sleep(300 * time.Millisecond)
			continue
		}
		if g.code != a.code {
			t.Errorf("exit status: %s %d, %s %d (stderr %q)", refName, a.code, gotName, g.code, g.stderr)
		}
		if gs := withoutWarnings(t, g.stderr); gs != a.stderr {
			t.Errorf("stderr differs:\n%s", lineDiff(refName, gotName, a.stderr, gs))
		}
		if !sameOutput(a.stdout, g.stdout, m) {
			t.Errorf("%s", explain(refName, gotName, a.stdout, g.stdout, m))
		}
		return
	}
	t.Fatalf("%s output never held still over %d tries; nothing compared", refName, tries)
}

// withoutWarnings drops kubectl-netstat's discovery warnings, which netstat
// has no counterpart for and which are about the host: other work on the
// machine leaves dangling /run/netns entries and exiting processes.
func withoutWarnings(t *testing.T, stderr string) string {
	t.Helper()
	var b strings.Builder
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if strings.HasPrefix(l, "kubectl-netstat: warning: ") {
			t.Logf("ignored: %s", strings.TrimSuffix(l, "\n"))
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

// TestSceneHasEverything checks netstat's own view of the main scene, so
// the comparisons cannot pass on a scene that lost its interesting parts.
// It runs first: the scene's TIME_WAIT entries only last 60 s.
func TestSceneHasEverything(t *testing.T) {
	s := needScene(t)
	pidName := func(pid int, argv0 string) string {
		name := argv0
		if strings.HasPrefix(argv0, "/") {
			name = argv0[strings.LastIndex(argv0, "/")+1:]
		}
		v := fmt.Sprintf("%d/%s", pid, name)
		return v[:min(len(v), 19)]
	}
	a, b, c := s.procs[0].pid, s.procs[1].pid, s.procs[2].pid
	inet := nsExec(s.name, netstatPath, "-anpW")
	want := map[string]string{
		"shared listener owned by the lowest pid": `(?m)^tcp +0 +0 0\.0\.0\.0:7001 +0\.0\.0\.0:\* +LISTEN +` + regexp.QuoteMeta(pidName(a, argv0A)) + ` *$`,
		"relative argv[0]":                        `(?m)^tcp .*0\.0\.0\.0:8001 .*LISTEN +` + regexp.QuoteMeta(pidName(b, argv0B)) + ` *$`,
		"argv[0] with spaces":                     `(?m)^tcp6 .*:::9001 .*LISTEN +` + regexp.QuoteMeta(pidName(c, argv0C)) + ` *$`,
		"backlog":                                 `(?m)^tcp +3 +0 127\.0\.0\.1:7020 .*LISTEN`,
		"un-accepted connection":                  `(?m)^tcp +0 +0 127\.0\.0\.1:7020 +127\.0\.0\.1:[0-9]+ +ESTABLISHED +- +$`,
		"unread data client side":                 `(?m)^tcp +200 +0 127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:7010 +ESTABLISHED`,
		"unread data server side":                 `(?m)^tcp +100 +0 127\.0\.0\.1:7010 +127\.0\.0\.1:[0-9]+ +ESTABLISHED`,
		"TIME_WAIT v4":                            `(?m)^tcp +0 +0 127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:7030 +TIME_WAIT +- +$`,
		"TIME_WAIT v6":                            `(?m)^tcp6 +0 +0 ::1:[0-9]+ +::1:7031 +TIME_WAIT`,
		"v4-mapped tcp6":                          `(?m)^tcp6 +11 +0 127\.0\.0\.1:7012 +127\.0\.0\.1:[0-9]+ +ESTABLISHED`,
		"udp queued":                              `(?m)^udp +[1-9][0-9]* +0 0\.0\.0\.0:5001 `,
		"udp connected v4":                        `(?m)^udp +0 +0 127\.0\.0\.1:5003 +127\.0\.0\.1:5004 +ESTABLISHED`,
		"udp connected v6":                        `(?m)^udp6 +[1-9][0-9]* +0 ::1:5005 +::1:5006 +ESTABLISHED`,
		"udp6 v4-mapped":                          `(?m)^udp6 +[1-9][0-9]* +0 127\.0\.0\.1:5007 +127\.0\.0\.1:5008 +ESTABLISHED`,
		"raw v4":                                  `(?m)^raw +0 +0 0\.0\.0\.0:1 +0\.0\.0\.0:\* +7 `,
		"raw v4 connected":                        `(?m)^raw +0 +0 127\.0\.0\.1:1 +127\.0\.0\.1:\* +1 `,
		"raw v6":                                  `(?m)^raw6 +[0-9]+ +0 :::58 +:::\* +7 `,
		"unix path with space cut":                `(?m)^unix .*LISTENING .*/with$`,
		"unix abstract embryonic":                 `(?m)^unix .*STREAM +CONNECTING +0 +- +@kn-e2e-abstract$`,
		"unix seqpacket":                          `(?m)^unix .*SEQPACKET +LISTENING .*/seq\.sock$`,
		"unix unnamed":                            `(?m)^unix .*STREAM +CONNECTED +[0-9]+ +[0-9]+/\S+ +$`,
		"unix dgram bound":                        `(?m)^unix .*DGRAM +[0-9]+ .*/dgram\.sock$`,
	}
	for what, re := range want {
		if !regexp.MustCompile(re).MatchString(inet.stdout) {
			t.Errorf("scene lacks %s (/%s/) in netstat -anpW:\n%s", what, re, inet.stdout)
		}
	}
	routes := nsExec(s.name, netstatPath, "-rne")
	for what, re := range map[string]string{
		"metric 4294967295 as -1": `(?m)^203\.0\.113\.16 .* -1 `,
		"reject route":            `(?m)^203\.0\.113\.64 .* !`,
		"host route":              `(?m)^203\.0\.113\.77 +198\.51\.100\.254 +255\.255\.255\.255 +UGH `,
	} {
		if !regexp.MustCompile(re).MatchString(routes.stdout) {
			t.Errorf("scene lacks %s (/%s/) in netstat -rne:\n%s", what, re, routes.stdout)
		}
	}
	ifs := nsExec(s.name, netstatPath, "-i")
	if !strings.Contains(ifs.stdout, "kne-a:sec") {
		t.Errorf("scene lacks the labelled address in netstat -i:\n%s", ifs.stdout)
	}
}

// skipUnsupported skips an optional flag set that the tool refuses with a
// non-zero exit and its own error line(s); every other flag set must work.
func skipUnsupported(t *testing.T, f flagSet, tool func() result) {
	t.Helper()
	if !f.optional {
		return
	}
	r := tool()
	ownError := r.stderr != ""
	for _, l := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		ownError = ownError && strings.HasPrefix(l, "kubectl-netstat: ")
	}
	if r.code != 0 && ownError {
		t.Skipf("kubectl-netstat does not support optional %s: %s", f.name(), strings.TrimSpace(r.stderr))
	}
}

// TestDiffInside runs the tool inside the namespace exactly like netstat
// (no target = the current namespace) for every flag set.
func TestDiffInside(t *testing.T) {
	s, tool := needTool(t)
	s.freshTimeWait(t, 7040)
	for _, f := range flagSets {
		t.Run(f.name(), func(t *testing.T) {
			skipUnsupported(t, f, func() result { return nsExec(s.name, tool, f.args...) })
			sandwich(t,
				func() result { return nsExec(s.name, netstatPath, f.args...) },
				func() result { return nsExec(s.name, tool, f.args...) },
				"netstat", "kubectl-netstat", f.mode)
		})
	}
}

// TestDiffTarget runs the tool outside the namespace with a netns/ target:
// a single namespace prints netstat's text alone (no "# netns" line).
func TestDiffTarget(t *testing.T) {
	s, tool := needTool(t)
	s.freshTimeWait(t, 7042)
	byInode := "netns/" + strconv.FormatUint(s.inode, 10)
	byPath := "netns/" + s.path
	for _, f := range flagSets {
		t.Run(f.name(), func(t *testing.T) {
			toolRun := func() result {
				return run(cmdTimeout, tool, append([]string{byInode}, f.args...)...)
			}
			skipUnsupported(t, f, toolRun)
			sandwich(t,
				func() result { return nsExec(s.name, netstatPath, f.args...) },
				toolRun,
				"netstat", "kubectl-netstat "+byInode, f.mode)
		})
	}
	// The same namespace's TCP and UDP sockets taken from the one BPF
	// walk of the host's tables (used from 32 namespaces up; forced
	// here), against netstat in the namespace.
	for _, f := range []flagSet{
		{args: []string{"-tulpn"}},
		{args: []string{"-tuln"}},
		{args: []string{"-ulanpe"}},
		{args: []string{"-tlnpeo"}},
		{args: []string{"-tanp"}},
		{args: []string{"-atunpe"}},
		{args: []string{"-an"}},
	} {
		t.Run("walk "+f.name(), func(t *testing.T) {
			t.Setenv("KUBECTL_NETSTAT_SOCKETS", "walk")
			if os.Geteuid() == 0 {
				v := run(cmdTimeout, tool, append([]string{"-v", byInode}, f.args...)...)
				if !strings.Contains(v.stderr, "sockets: one bpf walk of the host's socket tables (1 of 1 namespaces") {
					t.Fatalf("the walk was not used: exit %d, stderr %q", v.code, v.stderr)
				}
			}
			sandwich(t,
				func() result { return nsExec(s.name, netstatPath, f.args...) },
				func() result { return run(cmdTimeout, tool, append([]string{byInode}, f.args...)...) },
				"netstat", "kubectl-netstat (walk) "+byInode, f.mode)
		})
	}
	for _, f := range []flagSet{
		{args: []string{"-an"}},
		{args: []string{"-tulpn"}},
		{args: []string{"-xap"}},
		{args: []string{"-rn"}, mode: ordered},
		{args: []string{"-i"}, mode: ordered},
	} {
		t.Run("path "+f.name(), func(t *testing.T) {
			sandwich(t,
				func() result { return nsExec(s.name, netstatPath, f.args...) },
				func() result { return run(cmdTimeout, tool, append(f.args, byPath)...) },
				"netstat", "kubectl-netstat "+byPath, f.mode)
		})
	}
}

// runFor runs the command for at least d, and on until its stdout has at
// least minLines lines starting with prefix (a slow, loaded machine starts
// it late), then interrupts it like a user's ^C. It returns how long it ran.
func runFor(d time.Duration, prefix string, minLines int, name string, args ...string) (result, time.Duration) {
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), "LC_ALL=C", "LANG=C", "LANGUAGE=")
	o, e := &syncBuf{}, &syncBuf{}
	c.Stdout, c.Stderr = o, e
	start := time.Now()
	if err := c.Start(); err != nil {
		return result{code: -1, stderr: err.Error()}, 0
	}
	deadline := start.Add(cmdTimeout)
	for time.Now().Before(deadline) {
		if time.Since(start) >= d && countPrefix(o.String(), prefix) >= minLines {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	ran := time.Since(start)
	_ = c.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(cmdTimeout):
		_ = c.Process.Kill()
		err = <-done
	}
	r := result{stdout: o.String(), stderr: e.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	}
	return r, ran
}

// syncBuf is a bytes.Buffer safe for a writer and a poller.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func countPrefix(out, prefix string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// TestContinuous: plain -c repeats every second (netstat repeats the
// titles and headers, -i only the column header); the seed's "-c 5" means
// every 5 s in kubectl-netstat (net-tools ignores the 5), so within 2.5 s
// it prints once.
func TestContinuous(t *testing.T) {
	s, tool := needTool(t)
	const window = 2500 * time.Millisecond
	count := countPrefix
	cases := []struct {
		args            []string
		title, header   string
		titles, headers [2]int   // allowed [min,max] for the tool in the window
		netstatToo      bool     // netstat behaves the same (not for -c 5)
		once            []string // each complete block must equal netstat ONCE
		every           time.Duration
	}{
		{[]string{"-tn", "-c"}, "Active Internet connections", "Proto ", [2]int{2, 4}, [2]int{2, 4}, true, []string{"-tn"}, time.Second},
		{[]string{"-rn", "-c"}, "Kernel IP routing table", "Destination ", [2]int{2, 4}, [2]int{2, 4}, true, []string{"-rn"}, time.Second},
		{[]string{"-i", "-c"}, "Kernel Interface table", "Iface ", [2]int{1, 1}, [2]int{2, 4}, true, nil, time.Second},
		{[]string{"-tn", "-c", "5"}, "Active Internet connections", "Proto ", [2]int{1, 1}, [2]int{1, 1}, false, []string{"-tn"}, 5 * time.Second},
		{[]string{"-c", "5", "-rn"}, "Kernel IP routing table", "Destination ", [2]int{1, 1}, [2]int{1, 1}, false, []string{"-rn"}, 5 * time.Second},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			check := func(who string, r result, ran time.Duration) {
				t.Helper()
				nt, nh := count(r.stdout, c.title), count(r.stdout, c.header)
				// A run that had to go on past the window (slow start) may
				// have printed once more per interval it went on.
				extra := int((ran - window) / c.every)
				if nt < c.titles[0] || nt > c.titles[1]+extra || nh < c.headers[0] || nh > c.headers[1]+extra {
					t.Errorf("%s %v in %v: %d %q titles (want %d..%d), %d %q headers (want %d..%d); stderr %q\n%s",
						who, c.args, window, nt, c.title, c.titles[0], c.titles[1], nh, c.header, c.headers[0], c.headers[1], r.stderr, r.stdout)
				}
			}
			var before, after result
			if c.once != nil {
				before = nsExec(s.name, netstatPath, c.once...)
			}
			got, ran := runFor(window, c.header, c.headers[0], "ip", append([]string{"netns", "exec", s.name, tool}, c.args...)...)
			check("kubectl-netstat", got, ran)
			if c.once != nil {
				after = nsExec(s.name, netstatPath, c.once...)
			}
			if c.once != nil && sameOutput(before.stdout, after.stdout, exact) {
				blocks := splitBlocks(got.stdout, c.title)
				if len(blocks) > 1 {
					blocks = blocks[:len(blocks)-1] // the last one may be cut by the interrupt
				}
				for i, b := range blocks {
					if !sameOutput(before.stdout, b, exact) {
						t.Errorf("block %d: %s", i+1, explain("netstat "+strings.Join(c.once, " "), "kubectl-netstat", before.stdout, b, exact))
					}
				}
			}
			if c.netstatToo {
				r, ran := runFor(window, c.header, c.headers[0], "ip", append([]string{"netns", "exec", s.name, netstatPath}, c.args...)...)
				check("netstat", r, ran)
			}
		})
	}
}

// splitBlocks cuts continuous output before each title line.
func splitBlocks(out, title string) []string {
	var blocks []string
	for _, l := range splitLines(out) {
		if strings.HasPrefix(l, title) || len(blocks) == 0 {
			blocks = append(blocks, "")
		}
		blocks[len(blocks)-1] += l
	}
	return blocks
}

// TestDiffNonRoot runs both programs as uid 65534 inside the namespace:
// -p then cannot read other users' /proc/PID/fd, and netstat says so on
// stderr before the header.
func TestDiffNonRoot(t *testing.T) {
	s, tool := needTool(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skipf("setpriv (util-linux) missing: %v", err)
	}
	asNobody := func(bin string, args ...string) result {
		return nsExec(s.name, setpriv, append([]string{"--reuid", "65534", "--regid", "65534", "--clear-groups", bin}, args...)...)
	}
	if r := asNobody(tool, "-V"); r.code == 126 || r.code == 127 || strings.Contains(r.stderr, "ermission denied") {
		t.Fatalf("uid 65534 cannot run %s: exit %d: %s", tool, r.code, r.stderr)
	}
	for _, f := range []flagSet{
		{args: []string{"-tanp"}},
		{args: []string{"-tulpn"}},
		{args: []string{"-xp"}},
		{args: []string{"-anpe"}},
		{args: []string{"-tane"}},
	} {
		t.Run(f.name(), func(t *testing.T) {
			sandwich(t,
				func() result { return asNobody(netstatPath, f.args...) },
				func() result { return asNobody(tool, f.args...) },
				"netstat (uid 65534)", "kubectl-netstat (uid 65534)", f.mode)
		})
	}
}

// TestBadFlags: where netstat prints usage and exits 3 (or 1 for a bad
// family), kubectl-netstat exits 2 (README "Exit status and signals") with
// exactly one stderr line starting "kubectl-netstat: ", and nothing on stdout.
func TestBadFlags(t *testing.T) {
	s, tool := needTool(t)
	for _, args := range [][]string{
		{"-q"},
		{"-tq"},
		{"--bogus"},
		{"-A"},
		{"-A", "foo"},
		{"-r", "-i"},
		{"-s", "-r"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			n := nsExec(s.name, netstatPath, args...)
			if n.code == 0 {
				t.Fatalf("netstat %v exited 0; not a bad flag set", args)
			}
			g := nsExec(s.name, tool, args...)
			if g.code != 2 {
				t.Errorf("exit status %d, want 2 (netstat: %d)", g.code, n.code)
			}
			lines := strings.Split(strings.TrimSuffix(g.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "kubectl-netstat: ") || !strings.HasSuffix(g.stderr, "\n") {
				t.Errorf("stderr must be one line starting %q, got %q", "kubectl-netstat: ", g.stderr)
			}
			if g.stdout != "" {
				t.Errorf("stdout must be empty, got %q", g.stdout)
			}
		})
	}
}

// TestRandomNamespace compares a namespace nobody designed: a seeded random
// mix of sockets (KN_E2E_SEED repeats a run).
func TestRandomNamespace(t *testing.T) {
	_, tool := needTool(t)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("KN_E2E_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("KN_E2E_SEED: %v", err)
		}
	}
	t.Logf("seed %d (repeat with KN_E2E_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	s, err := newNamespace("-r")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	s.dir = t.TempDir()
	a4 := fmt.Sprintf("203.0.113.%d", 1+rng.IntN(250))
	a6 := fmt.Sprintf("2001:db8:%x::%x", rng.IntN(0xffff), 1+rng.IntN(0xfffe))
	if err := s.ip("addr", "add", a4+"/32", "dev", "lo"); err != nil {
		t.Fatal(err)
	}
	if err := s.ip("addr", "add", a6+"/128", "dev", "lo", "nodad"); err != nil {
		t.Fatal(err)
	}
	// pair and backlog directives connect to a6.
	if err := s.waitHostRoutes(a6); err != nil {
		t.Fatal(err)
	}
	v4 := []string{"0.0.0.0", "127.0.0.1", a4}
	v6 := []string{"[::]", "[::1]", "[" + a6 + "]"}
	used := map[int]bool{}
	port := func() int {
		for {
			p := 1024 + rng.IntN(31000) // below the ephemeral range: no clash with connects
			if !used[p] {
				used[p] = true
				return p
			}
		}
	}
	addr := func() (string, bool) {
		if rng.IntN(2) == 0 {
			return v4[rng.IntN(len(v4))], false
		}
		return v6[rng.IntN(len(v6))], true
	}
	// dest is an address a client can connect to for a listener on a.
	dest := func(a string, p int) string {
		switch a {
		case "0.0.0.0":
			return fmt.Sprintf("127.0.0.1:%d", p)
		case "[::]":
			if rng.IntN(2) == 0 {
				return fmt.Sprintf("127.0.0.1:%d", p) // v4-mapped
			}
			return fmt.Sprintf("[::1]:%d", p)
		}
		return fmt.Sprintf("%s:%d", a, p)
	}
	argv0s := []string{"/usr/bin/rnd-server", "worker", "/srv/an-unusually-long-daemon-name", "./bin/rel"}
	nproc := 1 + rng.IntN(3)
	for i := 0; i < nproc; i++ {
		var dirs []string
		for n := rng.IntN(12) + 3; n > 0; n-- {
			a, is6 := addr()
			p := port()
			switch rng.IntN(9) {
			case 0, 1:
				d := fmt.Sprintf("listen %s:%d", a, p)
				if is6 && rng.IntN(2) == 0 {
					d += " v6only"
				}
				dirs = append(dirs, d)
			case 2, 3:
				dirs = append(dirs, fmt.Sprintf("pair %s:%d to=%s c2s=%d s2c=%d", a, p, dest(a, p), rng.IntN(600), rng.IntN(600)))
			case 4:
				dirs = append(dirs, fmt.Sprintf("backlog %s:%d n=%d", a, p, 1+rng.IntN(3)))
			case 5:
				d := fmt.Sprintf("udp %s:%d", a, p)
				if rng.IntN(2) == 0 {
					if is6 {
						d += fmt.Sprintf(" v6only connect=[::1]:%d", port())
					} else {
						d += fmt.Sprintf(" connect=127.0.0.1:%d", port())
					}
				}
				if rng.IntN(2) == 0 {
					d += fmt.Sprintf(" recv=%d", 1+rng.IntN(300))
				}
				dirs = append(dirs, d)
			case 6:
				typ := []string{"stream", "seqpacket"}[rng.IntN(2)]
				path := fmt.Sprintf("%s/s%d.sock", s.dir, p)
				if rng.IntN(2) == 0 {
					path = fmt.Sprintf("@kn-rnd-%d", p)
				}
				d := fmt.Sprintf("unix-listen %s %s conns=%d", typ, path, rng.IntN(3))
				if rng.IntN(2) == 0 {
					d += " accept"
				}
				dirs = append(dirs, d)
			case 7:
				dirs = append(dirs, "unix-pair "+[]string{"stream", "dgram", "seqpacket"}[rng.IntN(3)])
			case 8:
				if rng.IntN(2) == 0 {
					dirs = append(dirs, "unix-dgram")
				} else {
					dirs = append(dirs, fmt.Sprintf("unix-dgram %s/d%d.sock", s.dir, p))
				}
			}
		}
		if rng.IntN(3) == 0 {
			dirs = append(dirs, "spawn rnd-child")
		}
		t.Logf("process %d: %q", i, dirs)
		if _, err := s.start(env.sockd, argv0s[rng.IntN(len(argv0s))], dirs...); err != nil {
			t.Fatal(err)
		}
	}
	s.settle()
	for _, args := range [][]string{{"-an"}, {"-tulpn"}, {"-x"}, {"-anpW"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			sandwich(t,
				func() result { return nsExec(s.name, netstatPath, args...) },
				func() result { return nsExec(s.name, tool, args...) },
				"netstat", "kubectl-netstat", exact)
		})
	}
}
