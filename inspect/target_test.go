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
