// Package runtime attributes processes to containers without asking a
// daemon: it classifies /proc/PID/cgroup paths by their components and reads
// the runtimes' own on-disk state below the host root. inspect builds its
// inventory from what this package returns; the model words it returns
// (Runtime, Pod) are aliased by inspect, so output and cmd never import it.
//
// One file per source of facts, each with its unit tests (fixtures in
// testdata/cgroup and testdata/state, or trees written by the test):
//
//	cgroup.go      /proc/PID/cgroup lines and the cgroup path pattern table
//	docker.go      Docker config.v2.json and hostconfig.json
//	containerd.go  containerd task bundles, CRI annotations, 1.6's meta.db
//	crio.go        CRI-O (and Podman) <driver>-containers/<id>/userdata
//	podman.go      containers/storage stores, conmon command lines, bolt_state.db pods
//	lxc.go         LXC <lxcpath>/<name>/config
//	nspawn.go      systemd-nspawn machine names from unit names, the supervisor leaf
//	runc.go        runc state.json and crun status in the bare and managed roots
//	k8s.go         /var/log/containers link names, the CNI result cache
//	state.go       StateRecord, OCI bundle config.json, capped state-file reads
//
// The readers take a Paths (inspect.FS) and open nothing else; state files
// are read through internal/safefile (bounded, non-blocking, regular files
// only). Linux-only calls are in sys_linux.go, with stubs for other clients.
//
// Real runtimes are tested from outside, by the binary (they need root and
// hack/runtimes.sh up; KNS_RUNTIMES_E2E=1 makes a skip a failure):
//
//	e2e/runtimes TestDocker          docker.go, cgroup.go (cgroupfs /docker/<id>), runc.go (Docker's root)
//	e2e/runtimes TestPodman          podman.go, crio.go (userdata), cgroup.go (/libpod_parent/…), runc.go, k8s.go (Podman's CNI results)
//	e2e/runtimes TestPodmanRootless  podman.go (users' stores via conmon), crio.go (userdata)
//	e2e/runtimes TestLXC             lxc.go, cgroup.go (lxc.payload.<name>, lxc.monitor.*)
//	e2e/runtimes TestNspawn          nspawn.go, cgroup.go (machine-NAME.scope, systemd-nspawn@NAME.service)
//	e2e/runtimes TestRuncCrun        runc.go (/run/runc, /run/crun)
//	e2e/kube TestRealNode            containerd.go, k8s.go (kubelet log links, CNI results), cgroup.go (kubepods)
//
// CRI-O, the systemd cgroup driver's .scope shapes and kind/minikube nesting
// cannot run on the project's machines; they are covered only by the
// fixtures (cgroup_test.go, crio_test.go, and internal/fixture trees driven
// by inspect's tests).
package runtime
