package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/bpfowner"
	"golang.org/x/sys/unix"
)

// bpfPrecheck says why the iterator cannot serve a scan of root, without
// loading anything. It serves only the live procfs of this pid namespace:
// the iterator numbers tasks as the reader's pid namespace does.
func bpfPrecheck(root string) error {
	if v := os.Getenv(OwnersEnv); v == "proc" {
		return fmt.Errorf("%s=proc", OwnersEnv)
	}
	if os.Geteuid() != 0 {
		return errors.New("not root")
	}
	pfs, err := FS{ProcRoot: root}.procfs()
	if err != nil {
		return fmt.Errorf("%s: %w", root, err)
	}
	if self, err := pfs.Self(); err != nil || self.PID != os.Getpid() {
		return fmt.Errorf("%s is not this pid namespace's procfs", root)
	}
	return nil
}

// mountsToRead runs the in-kernel mount walk (loaded once per run) and
// returns, by mount namespace inode, whether its mountinfo must be read.
func (fs FS) mountsToRead() (map[uint64]bool, error) {
	if err := bpfPrecheck(fs.Proc()); err != nil {
		return nil, err
	}
	it, err := bpfowner.SharedMounts()
	if err != nil {
		return nil, err
	}
	return it.Pass()
}

// bpfIter returns the process-wide owner iterator (loaded once, then reused
// by every refresh), or why it cannot be used.
func bpfIter(root string) (*bpfowner.Iter, error) {
	if err := bpfPrecheck(root); err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Stat(root+"/self/ns/pid", &st); err != nil {
		return nil, fmt.Errorf("pid namespace: %w", err)
	}
	return bpfowner.Shared(st.Ino)
}

// fillFromBPF attributes (withSockets) every socket in one iterator pass: the lowest PID
// holding an inode wins, as in netstat's walk, and fds holding a network
// namespace are confirmed by a readlink (the iterator only says "nsfs").
// Records of processes not in the table (started after the readdir) are
// dropped, as the walk would never have seen them.
func (t *ProcTable) fillFromBPF(it *bpfowner.Iter, withSockets bool) error {
	sockets := make(map[uint64]*Process, 1024)
	type nsfd struct {
		e  *ProcEntry
		fd int
	}
	var nsfds []nsfd
	var last *ProcEntry
	each := it.EachNsfs
	if withSockets {
		each = it.Each
	}
	err := each(func(r bpfowner.Record) {
		if last == nil || last.Proc.PID != r.PID {
			last = t.byPID[r.PID]
		}
		if last == nil {
			return
		}
		switch r.Kind {
		case bpfowner.Socket:
			if !withSockets {
				return
			}
			if p, ok := sockets[r.Inode]; !ok || p.PID > r.PID {
				sockets[r.Inode] = last.Proc
			}
		case bpfowner.Nsfs:
			nsfds = append(nsfds, nsfd{last, r.FD})
		}
	})
	if err != nil {
		return err
	}
	// As the walk: "net:[N]", or a netns file opened through a bind mount,
	// which reads as that path ("/" once the mount is gone) and is told by
	// its nsfs device.
	link := make([]byte, 256)
	for _, f := range nsfds {
		p := t.root + "/" + strconv.Itoa(f.e.Proc.PID) + "/fd/" + strconv.Itoa(f.fd)
		n, err := unix.Readlink(p, link)
		if err != nil {
			continue
		}
		l := link[:n]
		if ino, ok := bracketInode(l, "net:["); ok {
			f.e.NetnsFds = append(f.e.NetnsFds, NetnsFd{FD: f.fd, Inode: ino})
		} else if t.scan != nil && t.scan.nsDev != 0 && (string(l) == "/" || bytes.Contains(l, []byte("netns"))) {
			var st unix.Stat_t
			if unix.Stat(p, &st) == nil && st.Dev == t.scan.nsDev {
				f.e.NetnsFds = append(f.e.NetnsFds, NetnsFd{FD: f.fd, Inode: st.Ino})
			}
		}
	}
	if withSockets {
		t.sockets = sockets
	}
	return nil
}
