package inspect

import (
	"errors"
	"testing"
)

// Issue 11, item 2: pid/PID of a process whose ns/net cannot be read (PID 1
// on some hosts, even for root) gave a nil namespace and a panic.
func TestResolvePidUnreadableNetns(t *testing.T) {
	host := &Netns{Inode: 4026531833, Kind: NetnsHost}
	inv := &Inventory{
		Procs: &ProcTable{byPID: map[int]*ProcEntry{
			1: {Proc: &Process{PID: 1}, Partial: true},
			7: {Proc: &Process{PID: 7}, NetnsIno: host.Inode},
		}},
		byIno: map[uint64]*Netns{host.Inode: host},
	}
	nss, err := inv.Resolve("pid/1")
	if !errors.Is(err, ErrPermission) || nss != nil {
		t.Errorf("pid/1 = %v, %v; want ErrPermission", nss, err)
	}
	nss, err = inv.Resolve("pid/7")
	if err != nil || len(nss) != 1 || nss[0] != host {
		t.Errorf("pid/7 = %v, %v; want the host namespace", nss, err)
	}
}
