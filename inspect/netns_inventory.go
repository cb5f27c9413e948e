package inspect

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// NsfsMount is a network namespace bind mount.
type NsfsMount struct {
	Inode uint64
	// MountPoint is the mount point as its mount namespace sees it.
	MountPoint string
	// Path opens the namespace from the scanner: the mount point itself in the
	// scanner's mount namespace, else /proc/PID/root/<mount point>.
	Path string
}

// parseMountinfoNsfs returns the network-namespace (nsfs, root net:[N]) mounts
// of one /proc/PID/mountinfo.
func parseMountinfoNsfs(r io.Reader) ([]NsfsMount, error) {
	var out []NsfsMount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		m, ok, err := parseMountinfoNsfsLine(sc.Text())
		if err != nil {
			return out, fmt.Errorf("mountinfo line %d: %w", n, err)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}

// parseMountinfoNsfsLine parses "id parent maj:min root mountpoint opts [tags] - fstype source superopts".
func parseMountinfoNsfsLine(s string) (NsfsMount, bool, error) {
	pre, post, ok := strings.Cut(s, " - ")
	if !ok {
		return NsfsMount{}, false, fmt.Errorf("%q: no ' - ' separator: %w", s, ErrParse)
	}
	f := strings.Fields(pre)
	if len(f) < 6 {
		return NsfsMount{}, false, fmt.Errorf("%q: %d fields before ' - ', want >= 6: %w", s, len(f), ErrParse)
	}
	pf := strings.Fields(post)
	if len(pf) < 1 {
		return NsfsMount{}, false, fmt.Errorf("%q: no fstype: %w", s, ErrParse)
	}
	if pf[0] != "nsfs" {
		return NsfsMount{}, false, nil
	}
	ino, ok := bracketInode([]byte(f[3]), "net:[")
	if !ok {
		return NsfsMount{}, false, nil // another namespace type (mnt:, uts:, …)
	}
	return NsfsMount{Inode: ino, MountPoint: unescapeMountinfo(f[4])}, true, nil
}

// unescapeMountinfo undoes the kernel's octal escapes (\040 for space, …).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// NsfsMounts reads one mountinfo per distinct mount namespace in t and
// returns every netns bind mount, including ones in private mount namespaces
// that the scanner's own view shows as empty files.
func (fs FS) NsfsMounts(t *ProcTable) ([]NsfsMount, []string) {
	return fs.nsfsMounts(context.Background(), t)
}

func (fs FS) nsfsMounts(ctx context.Context, t *ProcTable) ([]NsfsMount, []string) {
	var out []NsfsMount
	var warns []string
	done := map[uint64]bool{}
	seen := map[string]bool{}
	for _, e := range t.Procs {
		if e.MntnsIno == 0 || done[e.MntnsIno] || e.Kthread() {
			continue
		}
		if ctx.Err() != nil {
			break // the caller returns ctx's error
		}
		p := fs.Proc(strconv.Itoa(e.Proc.PID), "mountinfo")
		f, err := os.Open(p)
		if err != nil {
			continue // gone, or denied: another pid of the same mount ns may work
		}
		ms, err := parseMountinfoNsfs(f)
		f.Close()
		if err != nil {
			warns = append(warns, fmt.Sprintf("%s: %v", p, err))
		}
		done[e.MntnsIno] = true
		for _, m := range ms {
			if e.MntnsIno == t.SelfMntnsIno {
				m.Path = m.MountPoint
			} else {
				m.Path = fs.Proc(strconv.Itoa(e.Proc.PID), "root", m.MountPoint)
			}
			k := strconv.FormatUint(m.Inode, 10) + m.Path
			if !seen[k] {
				seen[k] = true
				out = append(out, m)
			}
		}
	}
	return out, warns
}

// netnsDirs are the well-known bind-mount directories (host paths).
var netnsDirs = []string{"/run/netns", "/var/run/netns", "/run/docker/netns", "/var/run/docker/netns",
	"/run/containerd/io.containerd.grpc.v1.cri/netns"}

// NSFS_MAGIC from include/uapi/linux/magic.h.
const nsfsMagic = 0x6e736673

// NetnsDirEntries lists the well-known netns directories below the host root.
// Entries that are not nsfs (the mount is gone, or lives in another mount
// namespace) are returned with Inode 0.
func (fs FS) NetnsDirEntries() []NsfsMount {
	var out []NsfsMount
	seen := map[string]bool{}
	for _, d := range netnsDirs {
		dir := fs.Host(d)
		real, err := filepath.EvalSymlinks(dir)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			m := NsfsMount{MountPoint: p, Path: p}
			if ino, ok := nsfsIno(p); ok {
				m.Inode = ino
			}
			out = append(out, m)
		}
	}
	return out
}
