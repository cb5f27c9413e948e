package inspect

import "testing"

// Owner answers the same whether the held records were primed for a walk's
// sockets or indexed whole: the lowest PID wins, and an inode outside the
// primed set still finds its holder.
func TestOwnersPrimedMatchFull(t *testing.T) {
	procs := []*Process{{PID: 10}, {PID: 20}, {PID: 30}}
	var held []heldSocket
	// 400 sockets, each held by two processes; inode i by PIDs 10+10*(i%2)
	// and 30, so the expected owner alternates between 10 and 20.
	for i := uint64(1); i <= 400; i++ {
		held = append(held, heldSocket{i * 977, procs[i%2]})
	}
	for i := uint64(1); i <= 400; i++ {
		held = append(held, heldSocket{i * 977, procs[2]})
	}
	walked := map[uint64]*walkedNs{1: {}, 2: {}}
	for i := uint64(1); i <= 40; i++ {
		sk := Socket{Inode: i * 977}
		if i%2 == 0 {
			walked[1].tcp = append(walked[1].tcp, sk)
		} else {
			walked[2].udp6 = append(walked[2].udp6, sk)
		}
	}
	walked[2].udp = append(walked[2].udp, Socket{}) // no inode: never indexed

	newTable := func() *ProcTable {
		return &ProcTable{sockets: map[uint64]*Process{}, held: append([]heldSocket(nil), held...)}
	}
	full, primed := newTable(), newTable()
	primed.primeOwners(walked)
	if primed.primed == nil || len(primed.sockets) != 40 {
		t.Fatalf("primed %d inodes (set %v), want the walk's 40", len(primed.sockets), primed.primed != nil)
	}
	for i := uint64(1); i <= 40; i++ {
		want := 10 + 10*int(i%2)
		if p := primed.Owner(i * 977); p == nil || p.PID != want {
			t.Fatalf("primed owner of %d: %v, want pid %d", i*977, p, want)
		}
	}
	if primed.held == nil {
		t.Fatal("a primed inode's lookup indexed every record")
	}
	for _, ino := range []uint64{41 * 977, 400 * 977, 5} {
		a, b := full.Owner(ino), primed.Owner(ino)
		if a != b {
			t.Errorf("owner of %d: full %v, primed %v", ino, a, b)
		}
	}
	if primed.held != nil || len(primed.sockets) != 400 {
		t.Errorf("after an unprimed lookup: %d held, %d indexed, want 0 and 400", len(primed.held), len(primed.sockets))
	}

	// A walk holding most of the records is not primed: Owner indexes all.
	big := newTable()
	for i := uint64(41); i <= 400; i++ {
		walked[1].tcp = append(walked[1].tcp, Socket{Inode: i * 977})
	}
	big.primeOwners(walked)
	if big.primed != nil || len(big.sockets) != 0 {
		t.Errorf("a walk of 400 of 800 records was primed (%d indexed)", len(big.sockets))
	}
}
