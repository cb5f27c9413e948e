package output

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// wideFixtureRows are the fleet benchmark's sockets (TCP, UDP, UNIX), with a
// pod whose name is wider than its byte count would say and an owner.
func wideFixtureRows() []WideRow {
	socks := benchFleetSockets()
	ns := &inspect.Netns{Inode: 4026532000, Kind: inspect.NetnsNamed}
	pod := &inspect.Container{Name: "app", Runtime: inspect.RuntimeContainerd, Pod: &inspect.Pod{Namespace: "démo", Name: "ウェブ-0"}}
	owner := &inspect.Process{PID: 4242, Name: "a-program-name-longer-than-the-column"}
	rows := make([]WideRow, len(socks))
	for i := range socks {
		rows[i] = WideRow{Socket: &socks[i], Netns: ns}
		if i%3 == 0 {
			rows[i].Container = pod
			socks[i].Owner = owner
		}
	}
	return rows
}

// TestWideWriterMatchesTable: one batch gives byte for byte the table
// tablewriter, configured as WriteTable was, gives for the same cells.
func TestWideWriterMatchesTable(t *testing.T) {
	for _, f := range []Flags{benchTanp, {All: true, Programs: true, Extend: 1, Timers: true, NumericHosts: true, NumericPorts: true}} {
		ww := NewWideWriter(nil, f, nil)
		for _, r := range wideFixtureRows() {
			ww.Add(r)
		}
		var want, got bytes.Buffer
		if err := tablewriterTable(&want, ww.header, ww.cells); err != nil {
			t.Fatal(err)
		}
		ww.w = &got
		if err := ww.Flush(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			gl, wl := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("flags %+v: line %d differs:\ngot  %q\nwant %q", f, i, gl[i], wl[i])
				}
			}
			t.Fatalf("flags %+v: %d lines, want %d", f, len(gl), len(wl))
		}
	}
}

// TestWideWriterStreams: each Flush writes its batch and keeps no rows, the
// header comes once, and columns never narrow.
func TestWideWriterStreams(t *testing.T) {
	rows := wideFixtureRows()
	var out bytes.Buffer
	ww := NewWideWriter(&out, benchTanp, nil)
	for _, r := range rows[:10] {
		ww.Add(r)
	}
	if out.Len() != 0 {
		t.Fatal("Add wrote before Flush")
	}
	if err := ww.Flush(); err != nil {
		t.Fatal(err)
	}
	first := strings.Count(out.String(), "\n")
	if first != 11 || len(ww.cells) != 0 {
		t.Fatalf("first flush: %d lines, %d rows kept; want 11, 0", first, len(ww.cells))
	}
	before := append([]int(nil), ww.widths...)
	for _, r := range rows[10:] {
		ww.Add(r)
	}
	if err := ww.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != len(rows)+1 {
		t.Errorf("%d lines, want %d rows + header", n, len(rows))
	}
	if strings.Count(out.String(), "PROTO") != 1 {
		t.Error("header repeated")
	}
	for i := range before {
		if ww.widths[i] < before[i] {
			t.Errorf("column %d narrowed from %d to %d", i, before[i], ww.widths[i])
		}
	}
	// An empty table still has its header.
	out.Reset()
	if err := NewWideWriter(&out, benchTanp, nil).Flush(); err != nil || !strings.HasPrefix(out.String(), "PROTO") {
		t.Errorf("empty table = %q, %v", out.String(), err)
	}
}

func TestPodText(t *testing.T) {
	for _, tc := range []struct {
		pod  *inspect.Pod
		want string
	}{
		{nil, "-"},
		{&inspect.Pod{UID: "0a6c1f0e"}, "-"}, // seen by cgroup only
		{&inspect.Pod{Name: "web"}, "-/web"},
		{&inspect.Pod{Namespace: "demo"}, "demo/-"},
		{&inspect.Pod{Namespace: "demo", Name: "web"}, "demo/web"},
	} {
		if got := PodText(tc.pod); got != tc.want {
			t.Errorf("PodText(%+v) = %q, want %q", tc.pod, got, tc.want)
		}
	}
}

func TestContainerPodTextAndShortID(t *testing.T) {
	pod := &inspect.Pod{Name: "kns-pod", UID: "d923c1641c2a"}
	if got := ContainerPodText(&inspect.Container{Runtime: inspect.RuntimePodman, Pod: pod}); got != "kns-pod" {
		t.Errorf("Podman pod: %q, want the bare name", got)
	}
	if got := ContainerPodText(&inspect.Container{Runtime: inspect.RuntimeContainerd, Pod: pod}); got != "-/kns-pod" {
		t.Errorf("Kubernetes pod without namespace: %q, want -/kns-pod", got)
	}
	if got := ContainerPodText(nil); got != "-" {
		t.Errorf("no container: %q", got)
	}
	hex := "7ecffbe5ac0e5a8c2c1f4e1f3a36b5bacbe5392991e3b12251e6b8aa12345678"
	for id, want := range map[string]string{hex: hex[:12], "kns-demo-runc": "kns-demo-runc", "short": "short"} {
		if got := shortID(id); got != want {
			t.Errorf("shortID(%q) = %q, want %q", id, got, want)
		}
	}
}
