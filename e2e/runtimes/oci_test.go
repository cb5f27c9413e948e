//go:build !windows

package runtimes

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bundle makes an OCI bundle (runc spec, terminal off) whose process listens on port.
func bundle(t *testing.T, port int) string {
	t.Helper()
	dir := t.TempDir()
	sh(t, "cp", "-a", rtEnv["KNS_RT_ROOTFS"], filepath.Join(dir, "rootfs"))
	if _, err := shErr(nil, "sh", "-c", "cd "+dir+" && runc spec"); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.json")
	var spec map[string]any
	b, err := os.ReadFile(p)
	if err == nil {
		err = json.Unmarshal(b, &spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = []string{"/bin/listen", strconv.Itoa(port)}
	b, _ = json.Marshal(spec)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRuncCrun: bare `runc run -d` and `crun run -d` (cgroup /<id>, state in /run/runc, /run/crun).
func TestRuncCrun(t *testing.T) {
	needEnv(t, "runc", "crun")
	s := suffix()
	var ws []want
	for i, rt := range []struct{ name, cmd string }{{"runc", "runc"}, {"crun", rtEnv["KNS_RT_CRUN_WRAPPER"]}} {
		id := "kns-e2e-" + rt.name + "-" + s
		port := 8101 + i
		dir := bundle(t, port)
		t.Cleanup(func() { _, _ = shErr(nil, rt.cmd, "delete", "-f", id) })
		if _, err := shErr(nil, "sh", "-c", "cd "+dir+" && exec "+rt.cmd+" run -d "+id+" </dev/null >/dev/null 2>&1"); err != nil {
			t.Fatalf("%s run: %v", rt.name, err)
		}
		var st struct {
			ID  string `json:"id"`
			Pid int    `json:"pid"`
		}
		pid := waitPID(t, id, func() (int, error) {
			out, err := shErr(nil, rt.cmd, "state", id)
			if err == nil {
				err = json.Unmarshal([]byte(out), &st)
			}
			return st.Pid, err
		})
		waitListen(t, pid, port)
		ws = append(ws, want{Case: id, Runtime: rt.name, ID: st.ID, PID: pid, Port: port, Kind: "container", Owner: st.ID, Target: id})
	}
	record(ws, verify(t, ws))
	checkNoPrefixMatch(t, ws[0].ID)
}

// TestLXC: lxc-create -t busybox with an empty network, the workload from inittab.
func TestLXC(t *testing.T) {
	needEnv(t, "lxc-create", "lxc-start", "lxc-info")
	name := "kns-e2e-lxc-" + suffix()
	conf := filepath.Join(t.TempDir(), "lxc.conf")
	if err := os.WriteFile(conf, []byte("lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = shErr(nil, "lxc-stop", "-k", "-n", name)
		_, _ = shErr(nil, "lxc-destroy", "-n", name)
	})
	sh(t, "lxc-create", "-n", name, "-t", "busybox", "-f", conf)
	root := filepath.Join("/var/lib/lxc", name, "rootfs")
	sh(t, "cp", filepath.Join(rtEnv["KNS_RT_ROOTFS"], "bin", "listen"), filepath.Join(root, "bin", "listen"))
	f, err := os.OpenFile(filepath.Join(root, "etc", "inittab"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "::respawn:/bin/listen 8111")
	f.Close()
	sh(t, "lxc-start", "-d", "-n", name)
	pid := waitPID(t, name, func() (int, error) { return atoi(sh(t, "lxc-info", "-n", name, "-p", "-H")) })
	waitListen(t, pid, 8111)
	info := sh(t, "lxc-info", "-n", name, "-H", "-s")
	if info != "RUNNING" {
		t.Fatalf("lxc-info state %q", info)
	}
	// The monitor (lxc-start, cgroup lxc.monitor.NAME) stays in the host netns.
	var notPIDs []int
	if out, err := shErr(nil, "pgrep", "-f", "lxc-start -d -n "+name); err == nil {
		for _, l := range strings.Fields(out) {
			if n, err := strconv.Atoi(l); err == nil {
				notPIDs = append(notPIDs, n)
			}
		}
	}
	ws := []want{{Case: name, Runtime: "lxc", ID: name, Name: name, PID: pid, NotPIDs: notPIDs, Port: 8111, Kind: "container", Owner: name, Target: name}}
	record(ws, verify(t, ws))
}

// TestNspawn: systemd-nspawn --keep-unit in both cgroup shapes (machinectl's
// systemd-nspawn@NAME.service and machined's machine-NAME.scope), each split
// into payload and supervisor. No machined here: the unit cgroups are made
// by hand below a private root, in the name=systemd and unified hierarchies.
func TestNspawn(t *testing.T) {
	needEnv(t, "systemd-nspawn")
	hier := []string{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"}
	for _, h := range hier {
		_, err := os.Stat(filepath.Join(h, "cgroup.procs"))
		need(t, err == nil, "no cgroup hierarchy at %s", h)
	}
	s := suffix()
	var ws []want
	for i, shape := range []string{`systemd-nspawn@%s.service`, `machine-%s.scope`} {
		name := fmt.Sprintf("kns-e2e-ns%d-%s", i, s)
		unit := fmt.Sprintf(shape, strings.ReplaceAll(name, "-", `\x2d`))
		rel := filepath.Join("kns-e2e-"+s, "machine.slice", unit)
		for _, h := range hier {
			if err := os.MkdirAll(filepath.Join(h, rel), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			for _, h := range hier {
				for _, d := range []string{filepath.Join(rel, "payload"), filepath.Join(rel, "supervisor"), rel, filepath.Dir(rel), filepath.Dir(filepath.Dir(rel))} {
					_ = syscall.Rmdir(filepath.Join(h, d))
				}
			}
		})
		root := filepath.Join(t.TempDir(), "root")
		sh(t, "cp", "-a", rtEnv["KNS_RT_ROOTFS"], root)
		port := 8121 + i
		script := fmt.Sprintf(`for h in %s; do echo $$ > "$h/%s/cgroup.procs"; done; exec systemd-nspawn -q --register=no --keep-unit --console=pipe -M %s -D %s --private-network --as-pid2 /bin/listen %d`,
			strings.Join(hier, " "), rel, name, root, port)
		cmd := exec.Command("sh", "-c", script)
		logf, err := os.Create(filepath.Join(t.TempDir(), "nspawn.log"))
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(time.Minute):
				_ = cmd.Process.Kill()
				<-done
			}
		})
		// The runtime's own view: the payload cgroup's processes; the listener is the newest.
		procs := func(leaf string) []int {
			b, _ := os.ReadFile(filepath.Join(hier[1], rel, leaf, "cgroup.procs"))
			var out []int
			for _, f := range strings.Fields(string(b)) {
				if n, err := strconv.Atoi(f); err == nil {
					out = append(out, n)
				}
			}
			return out
		}
		pid := waitPID(t, name, func() (int, error) {
			for _, p := range procs("payload") {
				if c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p)); strings.TrimSpace(string(c)) == "listen" {
					return p, nil
				}
			}
			return 0, fmt.Errorf("no listen in payload yet; see %s", logf.Name())
		})
		waitListen(t, pid, port)
		ws = append(ws, want{Case: name, Runtime: "nspawn", ID: name, Name: name, PID: pid, NotPIDs: procs("supervisor"),
			Port: port, Kind: "container", Owner: name, Target: name})
	}
	record(ws, verify(t, ws))
	checkNoPrefixMatch(t, ws[1].ID)
}
