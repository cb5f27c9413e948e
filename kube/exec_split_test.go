package kube

import (
	"bytes"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCatArgvRealCat runs the exact command --method=exec sends through the
// real cat on this host's own /proc/net and checks that every file comes back
// byte for byte apart, and that a missing file is left out.
func TestCatArgvRealCat(t *testing.T) {
	files := append(ProcNetFiles(), "/proc/net/kns-no-such-file")
	argv, sep := catArgv(files)
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("cat with one missing file: %v (want exit 1), stderr %q", err, stderr.String())
	}
	got, err := splitCat(stdout.Bytes(), sep, files, stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["/proc/net/kns-no-such-file"]; ok {
		t.Error("missing file is in the result")
	}
	// Static files compare exactly; socket tables change, so compare their header line.
	for _, f := range []string{"/proc/net/tcp", "/proc/net/unix", "/proc/net/snmp", "/proc/net/dev"} {
		want, err := exec.Command("cat", f).Output()
		if err != nil {
			t.Fatal(err)
		}
		g := got[f]
		if i, j := bytes.IndexByte(g, '\n'), bytes.IndexByte(want, '\n'); i < 0 || j < 0 || string(g[:i]) != string(want[:j]) {
			t.Errorf("%s: first line %q, want %q", f, g, want)
		}
	}
	if len(got) != len(files)-1 {
		t.Errorf("got %d files, want %d", len(got), len(files)-1)
	}
}

func TestSplitCatRejectsForeignOutput(t *testing.T) {
	files := []string{"/proc/net/tcp", "/proc/net/udp"}
	_, sep := catArgv(files)
	for name, b := range map[string][]byte{
		"no separator":      []byte("  sl  local_address\n"),
		"one part too few":  append(append([]byte(nil), sep...), "x\n"...),
		"one part too many": bytes.Join([][]byte{nil, []byte("a"), []byte("b"), []byte("c")}, sep),
	} {
		if _, err := splitCat(b, sep, files, ""); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	b := bytes.Join([][]byte{nil, []byte("tcp\n"), []byte("udp\n")}, sep)
	got, err := splitCat(b, sep, files, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]byte{"/proc/net/tcp": []byte("tcp\n"), "/proc/net/udp": []byte("udp\n")}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
