package inspect

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/runtime"
	"github.com/prometheus/procfs"
)

// Sentinel errors; callers pick exit codes with errors.Is.
var (
	ErrParse      = runtime.ErrParse // the state readers' own, so errors.Is sees theirs too
	ErrPermission = errors.New("permission denied")
	ErrNotFound   = errors.New("not found")
)

// FS holds the roots every path is built from: procfs (--proc-root), the host's
// state files (--host-root; never applied to procfs) and the cgroup mount.
type FS struct {
	ProcRoot string
	HostRoot string
}

// NewFS checks the roots once. procRoot must be a readable directory.
func NewFS(procRoot, hostRoot string) (FS, error) {
	if procRoot == "" {
		procRoot = "/proc"
	}
	if hostRoot == "" {
		hostRoot = "/"
	}
	for _, d := range []struct{ flag, dir string }{{"--proc-root", procRoot}, {"--host-root", hostRoot}} {
		st, err := os.Stat(d.dir)
		if err != nil {
			return FS{}, fmt.Errorf("%s %s: %w", d.flag, d.dir, ErrNotFound)
		}
		if !st.IsDir() {
			return FS{}, fmt.Errorf("%s %s: not a directory: %w", d.flag, d.dir, ErrNotFound)
		}
	}
	return FS{ProcRoot: filepath.Clean(procRoot), HostRoot: filepath.Clean(hostRoot)}, nil
}

// Proc joins parts below the proc root: fs.Proc("1234", "ns", "net").
func (fs FS) Proc(parts ...string) string {
	return filepath.Join(append([]string{fs.ProcRoot}, parts...)...)
}

// Host joins an absolute host path below the host root: fs.Host("/run/netns").
func (fs FS) Host(parts ...string) string {
	return filepath.Join(append([]string{fs.HostRoot}, parts...)...)
}

// HostRel turns a path below the host root back into the host's own absolute path.
func (fs FS) HostRel(p string) string {
	if fs.HostRoot == "/" {
		return p
	}
	if r, err := filepath.Rel(fs.HostRoot, p); err == nil && !strings.HasPrefix(r, "..") {
		return "/" + r
	}
	return p
}

// procfs is a prometheus/procfs FS rooted at the proc root. procfs opens its
// files with a plain open(2), without safefile's checks: fine for what it is
// given here, files of the procfs mount itself (/proc/PID/stat, ns/*, …),
// which are never FIFOs or devices another user could swap in. Files below
// /proc/PID/root, which others control, still go through internal/safefile.
func (fs FS) procfs() (procfs.FS, error) {
	return procfs.NewFS(fs.ProcRoot)
}

// selfNamespaces returns the inodes of the scanner's own namespaces by type
// ("mnt", "pid", "cgroup", …); nil when unreadable.
func (fs FS) selfNamespaces() procfs.Namespaces {
	pfs, err := fs.procfs()
	if err != nil {
		return nil
	}
	self, err := pfs.Self()
	if err != nil {
		return nil
	}
	ns, _ := self.Namespaces()
	return ns
}
