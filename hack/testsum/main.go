// Command testsum runs `go test -json ARGS`, prints what a plain `go test`
// prints (the ok/FAIL/? package lines and the output of failed tests), then
// one line naming the skipped tests and why. It exits with go test's status.
// Written here because go test shows skip reasons only with -v, where they
// drown in the RUN/PASS lines.
//
//	go run ./hack/testsum -race -count=1 ./...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
}

type key struct{ pkg, test string }

// skip is one skipped test and its reason.
type skip struct {
	pkg, test, reason string
}

func main() {
	args := append([]string{"test", "-json"}, os.Args[1:]...)
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	skips := filter(out, os.Stdout)
	err = cmd.Wait()
	fmt.Println(summary(skips))
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
}

// filter copies what plain go test would print from the JSON stream in to w
// and returns the skipped tests.
func filter(in io.Reader, w io.Writer) []skip {
	buf := map[key][]string{}
	var skips []skip
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			fmt.Fprintln(w, sc.Text()) // not an event: pass it through
			continue
		}
		switch {
		case e.Action == "build-output":
			fmt.Fprint(w, e.Output)
		case e.Test == "" && e.Action == "output":
			// Package lines; "PASS" alone is -v's, plain go test omits it.
			if e.Output != "PASS\n" && !strings.HasPrefix(e.Output, "=== ") {
				fmt.Fprint(w, e.Output)
			}
		case e.Action == "output":
			k := key{e.Package, e.Test}
			buf[k] = append(buf[k], e.Output)
		case e.Action == "fail":
			k := key{e.Package, e.Test}
			for _, l := range buf[k] {
				if !strings.HasPrefix(l, "=== ") {
					fmt.Fprint(w, l)
				}
			}
			delete(buf, k)
		case e.Action == "skip" && e.Test == "":
			// A package without test files: go test's "?" line says so.
		case e.Action == "skip":
			k := key{e.Package, e.Test}
			skips = append(skips, skip{e.Package, e.Test, reason(buf[k])})
			delete(buf, k)
		case e.Action == "pass":
			delete(buf, key{e.Package, e.Test})
		}
	}
	return skips
}

var logPrefix = regexp.MustCompile(`^\s+\S+\.go:\d+: `)

// reason is the first t.Skip message of a test's output.
func reason(lines []string) string {
	for _, l := range lines {
		if logPrefix.MatchString(l) {
			return strings.TrimSpace(logPrefix.ReplaceAllString(l, ""))
		}
	}
	return "no reason given"
}

// summary is the one line about the skipped tests, grouped by reason.
func summary(skips []skip) string {
	if len(skips) == 0 {
		return "make test: no test skipped"
	}
	type group struct {
		reason string
		n      int
		pkgs   map[string]bool
	}
	groups := map[string]*group{}
	for _, s := range skips {
		g := groups[s.reason]
		if g == nil {
			g = &group{reason: s.reason, pkgs: map[string]bool{}}
			groups[s.reason] = g
		}
		g.n++
		g.pkgs[shortPkg(s.pkg)] = true
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].reason < list[j].reason
	})
	parts := make([]string, 0, len(list))
	for _, g := range list {
		pkgs := make([]string, 0, len(g.pkgs))
		for p := range g.pkgs {
			pkgs = append(pkgs, p)
		}
		sort.Strings(pkgs)
		parts = append(parts, fmt.Sprintf("%d× %q (%s)", g.n, g.reason, strings.Join(pkgs, ", ")))
	}
	return fmt.Sprintf("make test: %d skipped: %s", len(skips), strings.Join(parts, "; "))
}

// shortPkg drops the module path: ./e2e/kube, not github.com/…/e2e/kube.
func shortPkg(p string) string {
	if i := strings.LastIndex(p, "/kubectl-netstat/"); i >= 0 {
		return "./" + p[i+len("/kubectl-netstat/"):]
	}
	return p
}
