package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilter runs a real `go test -json` on a small module with a passing,
// a skipped and a failing test, and checks what a plain go test would show.
func TestFilter(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.test/sum\n\ngo 1.22\n")
	write("a/a_test.go", `package a
import "testing"
func TestPass(t *testing.T) { t.Log("quiet") }
func TestSkip(t *testing.T) { t.Skip("needs a real thing") }
func TestSkipToo(t *testing.T) { t.Skip("needs a real thing") }
`)
	write("c/c.go", "package c\n") // no test files: not a skipped test
	write("b/b_test.go", `package b
import "testing"
func TestFail(t *testing.T) { t.Error("broken here") }
`)
	cmd := exec.Command("go", "test", "-json", "-count=1", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	raw, _ := cmd.Output() // exits 1: b fails
	var out bytes.Buffer
	skips := filter(bytes.NewReader(raw), &out)
	got := out.String()
	for _, want := range []string{"ok  \texample.test/sum/a", "--- FAIL: TestFail", "broken here", "FAIL\texample.test/sum/b"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, not := range []string{"=== RUN", "--- PASS", "quiet", "--- SKIP"} {
		if strings.Contains(got, not) {
			t.Errorf("output has %q, which plain go test does not print:\n%s", not, got)
		}
	}
	sum := summary(skips)
	if want := `make test: 2 skipped: 2× "needs a real thing" (example.test/sum/a)`; sum != want {
		t.Errorf("summary %q, want %q", sum, want)
	}
	if s := summary(nil); s != "make test: no test skipped" {
		t.Errorf("summary(nil) = %q", s)
	}
}
