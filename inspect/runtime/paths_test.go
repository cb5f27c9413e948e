package runtime

import (
	"path/filepath"
	"strings"
)

// testFS joins paths as inspect.FS does, for the fixture trees of these tests.
type testFS struct{ ProcRoot, HostRoot string }

func (fs testFS) Proc(parts ...string) string {
	return filepath.Join(append([]string{fs.ProcRoot}, parts...)...)
}

func (fs testFS) Host(parts ...string) string {
	return filepath.Join(append([]string{fs.HostRoot}, parts...)...)
}

func (fs testFS) HostRel(p string) string {
	if fs.HostRoot == "/" {
		return p
	}
	if r, err := filepath.Rel(fs.HostRoot, p); err == nil && !strings.HasPrefix(r, "..") {
		return "/" + r
	}
	return p
}
