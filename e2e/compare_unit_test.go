package e2e

import (
	"strings"
	"testing"
)

// The comparator's own tests: no root needed. They make sure the e2e
// comparisons can fail.
func TestSameOutput(t *testing.T) {
	const base = "Active Internet connections (servers and established)\n" +
		"Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n" +
		"tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN     \n" +
		"tcp        0      0 127.0.0.1:5000          127.0.0.1:40000         ESTABLISHED\n" +
		"Active UNIX domain sockets (servers and established)\n" +
		"Proto RefCnt Flags       Type       State         I-Node   Path\n" +
		"unix  2      [ ACC ]     STREAM     LISTENING     1234     /run/a.sock\n"
	swap := func(s, a, b string) string {
		s = strings.Replace(s, a, "\x00", 1)
		s = strings.Replace(s, b, a, 1)
		return strings.Replace(s, "\x00", b, 1)
	}
	row1 := "tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN     \n"
	row2 := "tcp        0      0 127.0.0.1:5000          127.0.0.1:40000         ESTABLISHED\n"
	unixRow := "unix  2      [ ACC ]     STREAM     LISTENING     1234     /run/a.sock\n"
	cases := []struct {
		name string
		got  string
		mode cmpMode
		same bool
	}{
		{"identical", base, exact, true},
		{"rows reordered", swap(base, row1, row2), exact, true},
		{"trailing blank lost", strings.Replace(base, "LISTEN     \n", "LISTEN\n", 1), exact, false},
		{"header trailing blanks lost", strings.Replace(base, "State      \n", "State\n", 1), exact, false},
		{"header changed", strings.Replace(base, "(servers and established)", "(only servers)", 1), exact, false},
		{"row moved to another section", strings.Replace(strings.Replace(base, row1, "", 1), unixRow, unixRow+row1, 1), exact, false},
		{"row duplicated", strings.Replace(base, row1, row1+row1, 1), exact, false},
		{"row missing", strings.Replace(base, row2, "", 1), exact, false},
		{"number changed", strings.Replace(base, "40000", "40001", 1), exact, false},
		{"number changed, stats", strings.Replace(base, "40000", "40001", 1), stats, true},
		{"rows reordered, stats", swap(base, row1, row2), stats, false},
		{"rows reordered, ordered", swap(base, row1, row2), ordered, false},
		{"identical, ordered", base, ordered, true},
		{"netns comment added", "# netns 4026531840 host\n" + base, exact, false},
		{"missing final newline", strings.TrimSuffix(base, "\n"), exact, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sameOutput(base, c.got, c.mode); got != c.same {
				t.Errorf("sameOutput = %v, want %v\n%s", got, c.same, lineDiff("base", "got", canonical(base, c.mode), canonical(c.got, c.mode)))
			}
		})
	}
}

func TestTimersShape(t *testing.T) {
	a := "tcp        0      0 127.0.0.1:1             127.0.0.1:2             TIME_WAIT   timewait (59.12/0/0)\n"
	b := "tcp        0      0 127.0.0.1:1             127.0.0.1:2             TIME_WAIT   timewait (58.02/0/0)\n"
	c := "tcp        0      0 127.0.0.1:1             127.0.0.1:2             TIME_WAIT   keepalive (58.02/0/0)\n"
	d := "tcp        0      0 127.0.0.1:1             127.0.0.1:3             TIME_WAIT   timewait (58.02/0/0)\n"
	if !sameOutput(a, b, timers) {
		t.Errorf("timer values must not matter:\n%s", lineDiff("a", "b", a, b))
	}
	if sameOutput(a, b, exact) {
		t.Errorf("exact mode must see the timer values")
	}
	if sameOutput(a, c, timers) {
		t.Errorf("timer kind must matter")
	}
	if sameOutput(a, d, timers) {
		t.Errorf("addresses must matter in timers mode")
	}
}

func TestLineDiff(t *testing.T) {
	a := "one\ntwo\nthree  \nfour\n"
	b := "one\ntwo\nthree\nfour\nfive\n"
	got := lineDiff("netstat", "tool", a, b)
	want := "--- netstat\n+++ tool\n@@ -1 +1 @@\n one$\n two$\n-three  $\n+three$\n four$\n+five$\n"
	if got != want {
		t.Errorf("lineDiff:\n%s\nwant:\n%s", got, want)
	}
	if got := lineDiff("a", "b", a, a); !strings.Contains(got, "(no line differences)") {
		t.Errorf("equal inputs: %q", got)
	}
	far := strings.Repeat("x\n", 20)
	got = lineDiff("a", "b", "A\n"+far+"B\n", "a\n"+far+"b\n")
	if n := strings.Count(got, "@@ "); n != 2 {
		t.Errorf("two distant changes should give 2 hunks, got %d:\n%s", n, got)
	}
	if got := lineDiff("a", "b", "x", "x\n"); !strings.Contains(got, `-x\ No newline`) {
		t.Errorf("missing newline not shown: %q", got)
	}
}
