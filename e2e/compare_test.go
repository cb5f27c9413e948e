package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// cmpMode says how loosely two outputs may differ.
type cmpMode int

const (
	// exact: header lines identical and in order; the rows of each section
	// identical as a multiset (a netlink dump and /proc may list the kernel
	// hash in different orders).
	exact cmpMode = iota
	// timers: like exact, but the numbers inside the -o timer column are
	// replaced by '#' (they count down between two runs).
	timers
	// stats: -s output; every line in order, every digit run replaced by
	// '#' (counters move while the tests run).
	stats
	// ordered: byte-identical. For tables whose order does not depend on
	// how the kernel was asked: routes (the FIB walk of /proc/net/route and
	// ipv6_route) and interfaces (netstat sorts them).
	ordered
)

func (m cmpMode) String() string {
	switch m {
	case exact:
		return "exact"
	case timers:
		return "timers"
	case stats:
		return "stats"
	case ordered:
		return "ordered"
	}
	return fmt.Sprintf("cmpMode(%d)", int(m))
}

// headerRE matches the lines netstat prints as titles and column headers,
// in every mode the tests use. Everything else is a row. "#" lines are the
// tool's only addition and must not appear for a single namespace, so they
// count as headers (and then differ from netstat's).
var headerRE = regexp.MustCompile(`^(Active |Proto |Kernel |Destination |Iface |IPv6/IPv4 Group|Interface |-------|#)`)

// timerRE is the -o column at the end of a row: "off (0.00/0/0)",
// "timewait (59.87/0/0)", "on1 (0.00/0/0)", "unkn-5 (…)".
var timerRE = regexp.MustCompile(`(off|on[0-9]?|keepalive|timewait|probe|unkn-[0-9]+) \([0-9.]+/[0-9]+/[0-9]+\)$`)

var digitsRE = regexp.MustCompile(`[0-9]+`)

// canonical turns an output into the text two outputs are compared by:
// headers in place, each section's rows sorted, loose fields normalised.
// Two outputs are equal under a mode iff their canonical texts are equal.
func canonical(out string, m cmpMode) string {
	if m == ordered {
		return out
	}
	lines := strings.SplitAfter(out, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if m == stats {
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(digitsRE.ReplaceAllString(l, "#"))
		}
		return b.String()
	}
	var b strings.Builder
	var rows []string
	flush := func() {
		slices.Sort(rows)
		for _, r := range rows {
			b.WriteString(r)
		}
		rows = rows[:0]
	}
	for _, l := range lines {
		if headerRE.MatchString(l) {
			flush()
			b.WriteString(l)
			continue
		}
		if m == timers {
			nl := strings.HasSuffix(l, "\n")
			body := strings.TrimSuffix(l, "\n")
			body = timerRE.ReplaceAllStringFunc(body, func(t string) string {
				word, _, _ := strings.Cut(t, " ")
				return word + " (#/#/#)"
			})
			l = body
			if nl {
				l += "\n"
			}
		}
		rows = append(rows, l)
	}
	flush()
	return b.String()
}

// sameOutput reports whether a and b are equal under m.
func sameOutput(a, b string, m cmpMode) bool {
	return canonical(a, m) == canonical(b, m)
}

// lineDiff is a small unified-style line diff of a and b (names label the
// two sides). Line ends are shown as '$' so trailing blanks are visible;
// a missing final newline shows as "\ No newline".
func lineDiff(aName, bName, a, b string) string {
	al, bl := splitLines(a), splitLines(b)
	// Longest common subsequence table; outputs are at most a few hundred lines.
	n, m := len(al), len(bl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		text string
		ai   int // line number in a (1-based) of this or the next a line
		bi   int
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && al[i] == bl[j]:
			ops = append(ops, op{' ', al[i], i + 1, j + 1})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', al[i], i + 1, j + 1})
			i++
		default:
			ops = append(ops, op{'+', bl[j], i + 1, j + 1})
			j++
		}
	}
	const ctx = 3
	var w strings.Builder
	fmt.Fprintf(&w, "--- %s\n+++ %s\n", aName, bName)
	changed := false
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		changed = true
		// A hunk: from ctx lines before this change to ctx lines after the
		// last change that is within 2*ctx of the previous one.
		start := max(0, k-ctx)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end = min(len(ops), end+ctx)
				break
			}
			end = run
		}
		fmt.Fprintf(&w, "@@ -%d +%d @@\n", ops[start].ai, ops[start].bi)
		for _, o := range ops[start:end] {
			fmt.Fprintf(&w, "%c%s\n", o.kind, visible(o.text))
		}
		k = end
	}
	if !changed {
		w.WriteString("(no line differences)\n")
	}
	return w.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	ls := strings.SplitAfter(s, "\n")
	if ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

func visible(l string) string {
	if body, ok := strings.CutSuffix(l, "\n"); ok {
		return body + "$"
	}
	return l + "\\ No newline"
}

// explain is the failure text for two outputs that differ under m: the
// diff of the canonical forms, so row order does not show up as noise.
func explain(aName, bName, a, b string, m cmpMode) string {
	ca, cb := canonical(a, m), canonical(b, m)
	var s strings.Builder
	if m == ordered {
		fmt.Fprintf(&s, "outputs differ (compared %s):\n", m)
	} else {
		fmt.Fprintf(&s, "outputs differ (compared %s; rows sorted within each section):\n", m)
	}
	s.WriteString(lineDiff(aName, bName, ca, cb))
	return s.String()
}
