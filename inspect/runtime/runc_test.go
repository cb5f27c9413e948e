package runtime

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRuncState(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		wantPID  int
		wantName string
		wantNet  string
		bundle   string
		wantErr  bool
	}{
		{"real", readStateTestdata(t, "runc-state.json"), 232340, "hostname", "/proc/232296/ns/net",
			"/run/containerd/io.containerd.runtime.v2.task/k8s.io/6a825448c5ef07ac0c3b99532b18bdec0e1d0bb1eb41b4672d570634a1409a85", false},
		{"label without =", `{"init_process_pid":1,"config":{"labels":["novalue","a=b=c"]}}`, 1, "", "", "", false},
		{"negative pid", `{"init_process_pid":-1}`, 0, "", "", "", true},
		{"pid as string", `{"init_process_pid":"12"}`, 0, "", "", "", true},
		{"labels not list", `{"config":{"labels":"x=y"}}`, 0, "", "", "", true},
		{"garbage", `}{`, 0, "", "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseRuncState(strings.NewReader(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrParse) {
					t.Errorf("%v does not wrap ErrParse", err)
				}
				return
			}
			a := s.Annotations()
			got := []string{a[annCRIName], s.NamespacePaths["NEWNET"], a["bundle"]}
			if d := cmp.Diff([]string{tc.wantName, tc.wantNet, tc.bundle}, got); d != "" || s.InitPID != tc.wantPID {
				t.Errorf("pid %d (want %d) (-want +got)\n%s", s.InitPID, tc.wantPID, d)
			}
		})
	}
}

func FuzzParseRuncState(f *testing.F) {
	f.Add(readStateTestdata(f, "runc-state.json"))
	f.Fuzz(func(t *testing.T, s string) {
		if st, err := parseRuncState(strings.NewReader(s)); err == nil {
			st.Annotations()
		}
	})
}

// TestOCIRuntimeState: runc's state.json and crun's status, bare and under Podman.
func TestOCIRuntimeState(t *testing.T) {
	host := t.TempDir()
	fs := testFS{ProcRoot: "/proc", HostRoot: host}
	writeFile(t, host, "run/runc/kns-runc/state.json", `{"id":"kns-runc","init_process_pid":12129,"init_process_start":88000,"config":{"labels":["bundle=/tmp/b"]},"namespace_paths":{"NEWNET":"/proc/12129/ns/net"}}`)
	writeFile(t, host, "run/runc/"+pmID+"/state.json", `{"id":"`+pmID+`","init_process_pid":8584,"config":{"labels":["io.container.manager=libpod","bundle=/x"]}}`)
	// crun 1.8's status (real, e2e/runtimes) and the spec it keeps next to it.
	writeFile(t, host, "run/crun/kns-crun/status", `{"pid":12248,"process-start-time":88861,"cgroup-path":"/kns-crun","scope":"","rootfs":"rootfs","systemd-cgroup":false,"bundle":"/tmp/c","created":"2026-12-01T14:37:05.836599Z","owner":"root","detached":true}`)
	writeFile(t, host, "run/crun/kns-crun/config.json", `{"annotations":{}}`)
	writeFile(t, host, "run/crun/"+pmInfra+"/status", `{"pid":9000}`)
	writeFile(t, host, "run/crun/"+pmInfra+"/config.json", `{"annotations":{"io.container.manager":"libpod"}}`)
	writeFile(t, host, "run/docker/runtime-runc/moby/"+pmPod+"/state.json", `{"id":"`+pmPod+`","init_process_pid":7000}`)
	writeFile(t, host, "run/crun/bad/status", `{"pid":-3}`)
	recs, warns := OCIRuntimeState(fs)
	got := map[string]StateRecord{}
	for _, r := range recs {
		r.Source = ""
		got[r.ID] = r
	}
	want := map[string]StateRecord{
		"kns-runc": {Runtime: RuntimeRunc, ID: "kns-runc", InitPID: 12129, InitStart: 88000, NetnsPath: "/proc/12129/ns/net"},
		pmID:       {Runtime: RuntimePodman, ID: pmID, InitPID: 8584, Enrich: true},
		"kns-crun": {Runtime: RuntimeCrun, ID: "kns-crun", InitPID: 12248, InitStart: 88861},
		pmInfra:    {Runtime: RuntimePodman, ID: pmInfra, InitPID: 9000, Enrich: true},
		pmPod:      {Runtime: RuntimeDocker, ID: pmPod, InitPID: 7000, Enrich: true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if len(warns) != 1 {
		t.Errorf("warnings %v, want one for the bad status", warns)
	}
}
