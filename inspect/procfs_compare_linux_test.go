package inspect

import (
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// These benchmarks measure prometheus/procfs doing the work of the
// hand-written hot paths (the per-PID pass of ScanProcs, the /proc/net/unix
// parse), so the README's "Libraries and hand-written paths" figures can be
// re-measured: go test -run '^$' -bench 'Library|Hand' ./inspect/

// BenchmarkScanProcsHand is ScanProcs with the /proc fd walk (no BPF), the
// same work BenchmarkScanProcsLibrary does through procfs.
func BenchmarkScanProcsHand(b *testing.B) {
	scanSkipUnlessRoot(b)
	fs, _ := NewFS("/proc", "/")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fs.ScanProcs(ScanOptions{Sockets: true, NoBPF: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanProcsLibrary reads what ScanProcs reads per PID (stat,
// ns links, cgroup, cmdline, status outside our pid namespace, fd targets)
// through procfs, with the same two workers.
func BenchmarkScanProcsLibrary(b *testing.B) {
	scanSkipUnlessRoot(b)
	pfs, err := procfs.NewFS("/proc")
	if err != nil {
		b.Fatal(err)
	}
	self, err := pfs.Self()
	if err != nil {
		b.Fatal(err)
	}
	selfNs, _ := self.Namespaces()
	b.ReportAllocs()
	for b.Loop() {
		procs, err := pfs.AllProcs()
		if err != nil {
			b.Fatal(err)
		}
		var next atomic.Int64
		var mu sync.Mutex
		sockets := map[uint64]int{}
		var wg sync.WaitGroup
		for range scanWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				local := map[uint64]int{}
				for {
					i := int(next.Add(1)) - 1
					if i >= len(procs) {
						break
					}
					p := procs[i]
					if _, err := p.Stat(); err != nil {
						continue
					}
					ns, _ := p.Namespaces()
					if ns["pid"].Inode != selfNs["pid"].Inode {
						p.NewStatus()
					}
					p.Cgroups()
					p.CmdLine()
					ts, _ := p.FileDescriptorTargets()
					for _, t := range ts {
						if ino, ok := bracketInode([]byte(t), "socket:["); ok {
							if _, seen := local[ino]; !seen {
								local[ino] = p.PID
							}
						}
					}
				}
				mu.Lock()
				for k, v := range local {
					if q, ok := sockets[k]; !ok || q > v {
						sockets[k] = v
					}
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
}

// unixBenchSockets holds n socket pairs open so /proc/net/unix is long.
func unixBenchSockets(b *testing.B, n int) {
	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
	if int(rl.Cur) < 2*n+100 {
		b.Skipf("RLIMIT_NOFILE %d too low", rl.Cur)
	}
	for range n {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	}
}

func BenchmarkNetUnixHand(b *testing.B) {
	unixBenchSockets(b, 5000)
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open("/proc/thread-self/net/unix")
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := ParseNetUnix(f, nil); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

func BenchmarkNetUnixLibrary(b *testing.B) {
	unixBenchSockets(b, 5000)
	pfs, err := procfs.NewFS("/proc/thread-self")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		nu, err := pfs.NetUNIX()
		if err != nil {
			b.Fatal(err)
		}
		// The same rows ParseNetUnix builds.
		var out []Socket
		for _, l := range nu.Rows {
			out = append(out, Socket{Proto: ProtoUnix, Inode: l.Inode, Unix: &UnixInfo{RefCnt: uint32(l.RefCount),
				Protocol: uint32(l.Protocol), Flags: UnixFlags(l.Flags), Type: UnixType(l.Type), State: uint8(l.State), Path: l.Path}})
		}
	}
}
