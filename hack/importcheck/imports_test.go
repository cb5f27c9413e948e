package importcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/kubectl-netstat/kubectl-netstat/"

// allowed is every edge between the module's packages, by package (path
// below the module). Imports flow one way: the command, then the
// subcommands' helpers, then inspect, then nsenter; output renders the
// model and never reaches back into audit or kube. internal/safefile is the
// capped file reader every package may use, so it is allowed everywhere.
var allowed = map[string][]string{
	"cmd/kubectl-netstat": {"pkg/cmd", "internal/btfwarm"},
	"pkg/cmd": {"kube", "kube/peers", "audit", "audit/report", "output", "wire",
		"inspect", "inspect/names"},
	"kube":              {"inspect", "kube/peers", "wire"},
	"kube/peers":        {"inspect"},
	"audit":             {"inspect"},
	"audit/report":      {"audit", "output", "wire", "inspect"},
	"output":            {"inspect", "wire"},
	"wire":              {"inspect"},
	"inspect":           {"inspect/runtime", "inspect/bpfowner", "nsenter"},
	"inspect/names":     {"inspect"},
	"inspect/runtime":   {},
	"inspect/bpfowner":  {},
	"nsenter":           {},
	"internal/safefile": {},
	"internal/fixture":  {},
	"internal/btfwarm":  {"inspect", "inspect/bpfowner"},
	"hack/importcheck":  {},
}

// everywhere may be imported by any package but itself.
const everywhere = "internal/safefile"

// testOnly may also be imported by a package's own tests: the builders of
// real scenes (namespaces, runtime state trees).
var testOnly = []string{"nsenter", "internal/fixture"}

// tools are trees of programs and end-to-end suites that drive the whole
// binary; they may import any package, and none may import them.
var tools = []string{"e2e", "hack", "bench", "testdata", "cmd"}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

func isTool(p string) bool {
	_, listed := allowed[p]
	for _, t := range tools {
		if !listed && (p == t || strings.HasPrefix(p, t+"/")) {
			return true
		}
	}
	return false
}

// violations lists every edge of pkgs not in allowed (a package missing
// from allowed is one violation itself: place it in the graph).
func violations(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		from, ok := strings.CutPrefix(p.ImportPath, module)
		if !ok || isTool(from) {
			continue
		}
		edges, listed := allowed[from]
		if !listed {
			out = append(out, from+": not in the import graph of hack/importcheck; add it with its allowed imports")
			continue
		}
		check := func(imports []string, test bool) {
			for _, imp := range imports {
				to, ok := strings.CutPrefix(imp, module)
				if !ok || to == from {
					continue
				}
				switch {
				case slices.Contains(edges, to), to == everywhere:
				case test && slices.Contains(testOnly, to):
				case isTool(to):
					out = append(out, from+" imports "+to+": nothing may import a tool or e2e package")
				default:
					kind := ""
					if test {
						kind = " (in a test)"
					}
					out = append(out, from+" imports "+to+kind+": not an allowed edge; "+from+" may import "+strings.Join(edges, ", "))
				}
			}
		}
		check(p.Imports, false)
		check(append(slices.Clone(p.TestImports), p.XTestImports...), true)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// list runs go list over the module for one GOOS (files for other systems
// carry imports too).
func list(t *testing.T, goos string) []pkg {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Error", "./...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list (GOOS=%s): %v\n%s", goos, err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < len(allowed) {
		t.Fatalf("go list (GOOS=%s) saw %d packages, fewer than the %d in the graph", goos, len(pkgs), len(allowed))
	}
	return pkgs
}

func TestImportDirection(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	for _, goos := range []string{"linux", "darwin"} {
		for _, v := range violations(list(t, goos)) {
			t.Errorf("GOOS=%s: %s", goos, v)
		}
	}
}

// TestViolations checks the checker on a made-up graph: each wrong edge
// the issue named (output → audit, kube → audit, upward into pkg/cmd) is
// caught, as is a package nobody placed; allowed edges pass.
func TestViolations(t *testing.T) {
	m := func(s ...string) []string {
		for i := range s {
			s[i] = module + s[i]
		}
		return s
	}
	got := violations([]pkg{
		{ImportPath: module + "output", Imports: m("inspect", "wire", "audit", "internal/safefile")},
		{ImportPath: module + "kube", Imports: append(m("audit", "kube/peers"), "fmt"), TestImports: m("internal/fixture")},
		{ImportPath: module + "inspect", Imports: m("pkg/cmd"), XTestImports: m("inspect", "nsenter", "internal/fixture")},
		{ImportPath: module + "wire", Imports: m("e2e")},
		{ImportPath: module + "newpkg"},
		{ImportPath: module + "e2e/kube", Imports: m("kube", "pkg/cmd")},
		{ImportPath: "example.com/other", Imports: m("pkg/cmd")},
	})
	want := []string{
		"inspect imports pkg/cmd: not an allowed edge; inspect may import inspect/runtime, inspect/bpfowner, nsenter",
		"kube imports audit: not an allowed edge; kube may import inspect, kube/peers, wire",
		"newpkg: not in the import graph of hack/importcheck; add it with its allowed imports",
		"output imports audit: not an allowed edge; output may import inspect, wire",
		"wire imports e2e: nothing may import a tool or e2e package",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
