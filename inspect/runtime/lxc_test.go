package runtime

import (
	"testing"
)

func TestLXCState(t *testing.T) {
	host := t.TempDir()
	writeFile(t, host, "var/lib/lxc/web-1/config", "lxc.uts.name = \"web-1\"\n")
	recs, _ := LXCState(testFS{ProcRoot: "/proc", HostRoot: host})
	if len(recs) != 1 || recs[0].ID != "web-1" || recs[0].Name != "web-1" || !recs[0].Enrich {
		t.Errorf("got %+v", recs)
	}
}
