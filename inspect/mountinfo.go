// Netns bind mounts: one mountinfo per mount namespace, deduplicated, and the
// well-known netns directories. (The namespace inventory is in discover.go.)

package inspect

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// that the scanner's own view shows as empty files. Each mount namespace
// created by `ip netns exec` or a runtime lists every bind mount propagated
// to it, so the same (inode, mount point) comes back from many namespaces:
// it is kept once, from the scanner's own namespace when that sees it (a
// direct path), so the result and the work after it grow with the mounts,
// not with mounts × mount namespaces. Lines are filtered as bytes and only
// nsfs lines are parsed.
func (fs FS) NsfsMounts(t *ProcTable) ([]NsfsMount, []error) {
	return fs.nsfsMounts(context.Background(), t)
}

// mountWalkMin is the number of mount namespaces from which the in-kernel
// mount walk (bpfowner.MountIter) picks the mountinfo files to read: below
// it, reading them all costs less than loading the walker. With the
// kernel's BTF parsed ahead (bpfowner.Warm) the walker loads in ~5 ms, and
// on 52 mount namespaces the walk made a whole audit ~5% cheaper in CPU
// than reading them all (paired runs).
const mountWalkMin = 16

func (fs FS) nsfsMounts(ctx context.Context, t *ProcTable) ([]NsfsMount, []error) {
	ms, warns, _ := fs.nsfsMountsWith(ctx, t, true)
	return ms, warns
}

// nsfsMountsWith is nsfsMounts, with the mount walk allowed or not; it also
// returns how many mountinfo files it read.
func (fs FS) nsfsMountsWith(ctx context.Context, t *ProcTable, walk bool) ([]NsfsMount, []error, int) {
	// One group per mount namespace, the scanner's own first (its paths
	// open directly), each with its processes in scan order: when one
	// cannot be read (gone, denied) the next of the same namespace is tried.
	var groups [][]*ProcEntry
	index := map[uint64]int{}
	add := func(e *ProcEntry) {
		if e.MntnsIno == 0 || e.Kthread() {
			return
		}
		i, ok := index[e.MntnsIno]
		if !ok {
			i = len(groups)
			index[e.MntnsIno] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], e)
	}
	for _, e := range t.Procs {
		if e.MntnsIno == t.SelfMntnsIno {
			add(e)
		}
	}
	for _, e := range t.Procs {
		if e.MntnsIno != t.SelfMntnsIno {
			add(e)
		}
	}

	// Every mount namespace made by `ip netns exec` lists every netns
	// mount: N namespaces are N x N lines of kernel text. From
	// mountWalkMin namespaces on, one walk of the mounts in the kernel
	// says which namespaces hold an nsfs mount no earlier one holds; the
	// others (copies of mounts already listed) are not read. The
	// scanner's own namespace is always read: its paths open directly.
	if walk && len(groups) >= mountWalkMin {
		if read, err := fs.mountsToRead(); err == nil {
			kept := groups[:0]
			for _, g := range groups {
				if need, seen := read[g[0].MntnsIno]; !seen || need || g[0].MntnsIno == t.SelfMntnsIno {
					kept = append(kept, g)
				}
			}
			groups = kept
		}
	}

	// The kernel's text generation is the cost: two readers share it.
	type result struct {
		e    *ProcEntry // the process whose mountinfo was read; nil: none
		ms   []NsfsMount
		warn error
	}
	res := make([]result, len(groups))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(scanWorkers, len(groups)) {
		wg.Go(func() {
			var buf []byte
			for {
				i := int(next.Add(1)) - 1
				if i >= len(groups) || ctx.Err() != nil {
					return // on ctx's error the caller returns it
				}
				for _, e := range groups[i] {
					p := fs.Proc(strconv.Itoa(e.Proc.PID), "mountinfo")
					var err error
					buf, err = readAllInto(p, buf[:0])
					if err != nil {
						continue // gone, or denied: another pid of the same mount ns may work
					}
					ms, err := parseMountinfoNsfsBytes(buf)
					if err != nil {
						err = fmt.Errorf("%s: %w", p, err)
					}
					res[i] = result{e, ms, err}
					break
				}
			}
		})
	}
	wg.Wait()
	read := 0
	for _, r := range res {
		if r.e != nil {
			read++
		}
	}

	// Merged in group order: the same result as reading one at a time.
	var out []NsfsMount
	var warns []error
	type key struct {
		ino uint64
		mp  string
	}
	seen := map[key]bool{}
	for _, r := range res {
		if r.warn != nil {
			warns = append(warns, r.warn)
		}
		for _, m := range r.ms {
			k := key{m.Inode, m.MountPoint}
			if seen[k] {
				continue
			}
			seen[k] = true
			if r.e.MntnsIno == t.SelfMntnsIno {
				m.Path = m.MountPoint
			} else {
				m.Path = fs.Proc(strconv.Itoa(r.e.Proc.PID), "root", m.MountPoint)
			}
			out = append(out, m)
		}
	}
	return out, warns, read
}

// maxMountinfo caps one mountinfo read (a namespace with ~100,000 mounts).
const maxMountinfo = 32 << 20

// readAllInto reads a procfs file into buf, growing it.
func readAllInto(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	for {
		if len(buf) == cap(buf) {
			if cap(buf) >= maxMountinfo {
				return buf, fmt.Errorf("%s: larger than %d bytes", path, maxMountinfo)
			}
			buf = append(buf, make([]byte, max(64<<10, cap(buf)))...)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

var (
	nsfsWord  = []byte("nsfs")
	netnsRoot = []byte("net:[")
)

// Hand-written: procfs's Proc.MountInfo splits every mount line into strings
// and maps (535 allocations and 1.3x the time for a 35-line file here, against
// 48); this splits only nsfs lines, and every mount namespace repeats the
// host's netns mounts (500 x 500 lines at 500 ip-netns namespaces).
//
// parseMountinfoNsfsBytes is parseMountinfoNsfs over a whole file in memory:
// lines that cannot be a netns mount (no "nsfs", no "net:[") are skipped
// without being split or copied.
func parseMountinfoNsfsBytes(b []byte) ([]NsfsMount, error) {
	var out []NsfsMount
	for n := 1; len(b) > 0; n++ {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if !bytes.Contains(line, nsfsWord) || !bytes.Contains(line, netnsRoot) {
			if !bytes.Contains(line, []byte(" - ")) && len(bytes.TrimSpace(line)) > 0 {
				_, _, err := parseMountinfoNsfsLine(string(line))
				return out, fmt.Errorf("mountinfo line %d: %w", n, err)
			}
			continue
		}
		m, ok, err := parseMountinfoNsfsLine(string(line))
		if err != nil {
			return out, fmt.Errorf("mountinfo line %d: %w", n, err)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
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
