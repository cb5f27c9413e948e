package inspect

import (
	"errors"
	"testing"
)

// TestFindContainersPrecedence: a full ID, then an exact name, then an ID
// prefix (only when no name matches); never a name prefix. Ambiguity and
// absence are errors, never another container's namespace.
func TestFindContainersPrecedence(t *testing.T) {
	const (
		idA = "abc0000000000000000000000000000000000000000000000000000000000001"
		idB = "abd0000000000000000000000000000000000000000000000000000000000002"
	)
	inv := &Inventory{byID: map[string]*Container{}, extras: map[*Container]*containerExtra{}}
	add := func(id, name string, ino uint64) *Container {
		c := &Container{ID: id, Name: name, NetnsInode: ino}
		inv.addContainer(c)
		return c
	}
	a := add(idA, "web", 1)
	b := add(idB, "ab", 2) // a name that is also a prefix of idA
	ns := add("kns-ns", "kns-ns", 3)
	for _, tc := range []struct {
		arg  string
		want *Container
		err  error
	}{
		{idA, a, nil},
		{"web", a, nil},
		{"ab", b, nil},           // the name wins over idA's and idB's prefix
		{"abc", a, nil},          // no name "abc": the ID prefix
		{"we", nil, ErrNotFound}, // never a name prefix
		{"kns", nil, ErrNotFound},
		{"kns-ns", ns, nil},
		{"a", nil, ErrAmbiguous}, // prefix of both IDs, no name "a"
	} {
		got, err := inv.findContainers(tc.arg)
		switch {
		case tc.err != nil:
			if !errors.Is(err, tc.err) {
				t.Errorf("%q: got %v, %v; want error %v", tc.arg, got, err, tc.err)
			}
		case err != nil || len(got) != 1 || got[0] != tc.want:
			t.Errorf("%q: got %v, %v; want %s", tc.arg, got, err, tc.want.ID)
		}
	}
}

// TestAttachHostNetnsNeverWins: a container's lowest PID in the host netns
// (a supervisor or monitor the cgroup rules missed) does not decide its
// netns once a process in a namespace of its own is seen; a container whose
// processes are all in the host netns (host network) stays there.
func TestAttachHostNetnsNeverWins(t *testing.T) {
	inv := &Inventory{hostIno: 100}
	proc := func(pid int, ino uint64) *ProcEntry { return &ProcEntry{Proc: &Process{PID: pid}, NetnsIno: ino} }
	c := &Container{ID: "kns-ns1"}
	inv.attach(c, proc(10, 100))
	inv.attach(c, proc(11, 200))
	inv.attach(c, proc(12, 100))
	if c.NetnsInode != 200 {
		t.Errorf("netns %d, want 200 (the container's own)", c.NetnsInode)
	}
	h := &Container{ID: "hostnet"}
	inv.attach(h, proc(20, 100))
	inv.attach(h, proc(21, 100))
	if h.NetnsInode != 100 || len(h.PIDs) != 2 || h.PIDs[1] != 21 {
		t.Errorf("host-network container: netns %d pids %v", h.NetnsInode, h.PIDs)
	}
}
