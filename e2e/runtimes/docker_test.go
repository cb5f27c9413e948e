//go:build !windows

package runtimes

import (
	"strconv"
	"strings"
	"testing"
)

// dockerWant reads one container from docker inspect.
func dockerWant(t *testing.T, name string, port int) want {
	t.Helper()
	f := strings.Split(sh(t, "docker", "inspect", "-f", "{{.Id}}|{{.Name}}|{{.Config.Image}}|{{.State.Pid}}", name), "|")
	pid, _ := strconv.Atoi(f[3])
	waitListen(t, pid, port)
	return want{Case: name, Runtime: "docker", ID: f[0], Name: strings.TrimPrefix(f[1], "/"), Image: f[2], PID: pid,
		Port: port, Kind: "container", Owner: f[0], Target: name}
}

// TestDocker: --network none, container:X, --pid host, host network, a user bridge.
func TestDocker(t *testing.T) {
	needEnv(t, "docker", "dockerd")
	_, err := shErr(nil, "docker", "version")
	need(t, err == nil, "dockerd not running (hack/runtimes.sh up): %v", err)
	img := rtEnv["KNS_RT_IMAGE"]
	s := suffix()
	run := func(name string, port int, args ...string) {
		cleanup(t, "docker", "rm", "-f", name)
		a := append([]string{"run", "-d", "--name", name}, args...)
		sh(t, "docker", append(a, img, "/bin/listen", strconv.Itoa(port))...)
	}
	none, join, pidHost, host, bridge := "kns-e2e-none-"+s, "kns-e2e-join-"+s, "kns-e2e-pidhost-"+s, "kns-e2e-host-"+s, "kns-e2e-br-"+s
	net := "kns-e2e-net-" + s
	sh(t, "docker", "network", "create", "--driver", "bridge", "--subnet", "198.51.100.0/24",
		"-o", "com.docker.network.bridge.name=kns"+s, net)
	t.Cleanup(func() { _, _ = shErr(nil, "docker", "network", "rm", net) }) // after the containers (LIFO)
	hostPort := freePort(t)
	run(none, 8081, "--network", "none")
	run(join, 8082, "--network", "container:"+none)
	run(pidHost, 8083, "--network", "none", "--pid", "host")
	run(host, hostPort, "--network", "host")
	run(bridge, 8085, "--network", net)
	ws := []want{dockerWant(t, none, 8081), dockerWant(t, join, 8082), dockerWant(t, pidHost, 8083),
		dockerWant(t, host, hostPort), dockerWant(t, bridge, 8085)}
	ws[1].Owner = ws[0].ID
	ws[3].Kind, ws[3].HostNet, ws[3].SharedHost = "host", true, true
	record(ws, verify(t, ws))
	// A 12-hex ID prefix is enough; a name prefix is not.
	short := want{Case: "id-prefix", PID: ws[0].PID, Target: ws[0].ID[:12]}
	compareTable(t, short)
	checkNoPrefixMatch(t, none)

	// Docker unmounts a removed container's netns file at once and deletes
	// it only later: no warning for that (other tests compare stderr too).
	sh(t, "docker", "rm", "-f", bridge)
	if _, _, stderr := knsExit(t, "namespaces"); strings.Contains(stderr, "/run/docker/netns/") {
		t.Errorf("warning about Docker's own netns files after docker rm:\n%s", stderr)
	}
}
