#!/usr/bin/env bash
# hack/demo.sh up|down|try|status [HOST_ROOT]
#
# Builds a container-shaped scene on a machine with no container runtime, so
# `kubectl-netstat --all-containers` has something to show:
#   - a containerd pod demo/web: a pause sandbox in its own netns (bind mount
#     HOST_ROOT/run/netns/cni-<uuid>), an "nginx" container listening on
#     0.0.0.0:8080 and an "envoy" sidecar on 127.0.0.1:15000 and 0.0.0.0:15001,
#     with task bundles, /var/log/containers links and a CNI cache entry;
#   - a Docker container "redis" listening on 0.0.0.0:6379 (udp too), netns
#     bound at HOST_ROOT/var/run/docker/netns/<sandbox12>;
#   - a bare namespace with no process (`ip netns add`, also bound at
#     HOST_ROOT/run/netns/demo-bare).
# Processes sit in runtime-shaped cgroups below <cgroup2>/netstat-demo-<rand>.
# Needs root, cgroup2, unshare, nsenter, ip and go. Only loopback/wildcard
# addresses inside namespaces this script creates. `down` removes everything;
# both are idempotent.
set -euo pipefail

cmd=${1:-}
ROOT=${2:-/tmp/kubectl-netstat-demo}
STATE="$ROOT/.demo/state"
BIN="$ROOT/.demo/bin"
REPO=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "demo: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"

cgroup2() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then echo /sys/fs/cgroup
	elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then echo /sys/fs/cgroup/unified
	else die "no cgroup2 mount"; fi
}
hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
uuid() { local h; h=$(hex 16); echo "${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}"; }
record() { echo "$1 $2" >>"$STATE"; }

# start COMM CMD...: starts a detached process, waits until it has exec'd into
# COMM (unshare and nsenter exec, so the pid stays the same), records and prints its pid.
start() {
	local comm=$1; shift
	setsid "$@" </dev/null >/dev/null 2>&1 &
	local pid=$!
	for _ in $(seq 300); do
		[ "$(cat /proc/$pid/comm 2>/dev/null)" = "${comm:0:15}" ] && break
		sleep 0.01
	done
	[ "$(cat /proc/$pid/comm 2>/dev/null)" = "${comm:0:15}" ] || die "$comm did not start"
	record pid "$pid"
	echo "$pid"
}

cg() { # cg RELPATH PID
	local d="$CG/$1"
	mkdir -p "$d"
	echo "$2" >"$d/cgroup.procs"
}

bind() { # bind SRC HOST_PATH
	mkdir -p "$(dirname "$ROOT$2")"
	: >"$ROOT$2"
	mount --bind "$1" "$ROOT$2"
	record mount "$ROOT$2"
}

up() {
	if [ -s "$STATE" ]; then
		echo "demo: already up in $ROOT (run: $0 down $ROOT)"
		return
	fi
	mkdir -p "$BIN" "$ROOT/.demo"
	: >"$STATE"
	local tag; tag=$(hex 4)
	CG="$(cgroup2)/netstat-demo-$tag"
	mkdir "$CG"
	record cgroup "$CG"

	(cd "$REPO" && go build -o "$BIN/listen" ./hack/listen)
	for n in nginx envoy redis-server; do cp "$BIN/listen" "$BIN/$n"; done
	cp "$(command -v sleep)" "$BIN/pause"

	# containerd pod demo/web.
	local uid sb nginx envoy ns podslice task
	uid=$(uuid); sb=$(hex 32); nginx=$(hex 32); envoy=$(hex 32)
	ns="/run/netns/cni-$(uuid)"
	podslice="kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid//-/_}.slice"
	task=/run/containerd/io.containerd.runtime.v2.task/k8s.io
	local sbpid; sbpid=$(start pause unshare -n "$BIN/pause" infinity)
	nsenter -t "$sbpid" -n ip link set lo up
	bind "/proc/$sbpid/ns/net" "$ns"
	cg "$podslice/cri-containerd-$sb.scope" "$sbpid"
	local npid epid
	npid=$(start nginx nsenter -t "$sbpid" -n "$BIN/nginx" 0.0.0.0:8080)
	cg "$podslice/cri-containerd-$nginx.scope" "$npid"
	epid=$(start envoy nsenter -t "$sbpid" -n "$BIN/envoy" 127.0.0.1:15000 0.0.0.0:15001)
	cg "$podslice/cri-containerd-$envoy.scope" "$epid"

	mkdir -p "$ROOT$task/$sb" "$ROOT$task/$nginx" "$ROOT$task/$envoy" "$ROOT/var/log/containers" "$ROOT/var/lib/cni/results"
	cat >"$ROOT$task/$sb/config.json" <<-EOF
	{"ociVersion":"1.1.0","process":{"args":["/pause"]},"annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"$sb","io.kubernetes.cri.sandbox-name":"web","io.kubernetes.cri.sandbox-namespace":"demo","io.kubernetes.cri.sandbox-uid":"$uid"},"linux":{"cgroupsPath":"kubepods-besteffort-pod${uid//-/_}.slice:cri-containerd:$sb","namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network","path":"/var$ns"}]}}
	EOF
	echo "$sbpid" >"$ROOT$task/$sb/init.pid"
	local c id pid
	for c in nginx envoy; do
		if [ $c = nginx ]; then id=$nginx pid=$npid; else id=$envoy pid=$epid; fi
		cat >"$ROOT$task/$id/config.json" <<-EOF
		{"ociVersion":"1.1.0","annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.container-name":"$c","io.kubernetes.cri.sandbox-id":"$sb","io.kubernetes.cri.sandbox-name":"web","io.kubernetes.cri.sandbox-namespace":"demo","io.kubernetes.cri.sandbox-uid":"$uid","io.kubernetes.cri.image-name":"docker.io/library/$c:demo"},"linux":{"namespaces":[{"type":"network","path":"/proc/$sbpid/ns/net"}]}}
		EOF
		echo "$pid" >"$ROOT$task/$id/init.pid"
		ln -sf "/var/log/pods/demo_web_$uid/$c/0.log" "$ROOT/var/log/containers/web_demo_$c-$id.log"
	done
	cat >"$ROOT/var/lib/cni/results/cbr0-$sb-eth0" <<-EOF
	{"kind":"cniCacheV1","containerId":"$sb","ifName":"eth0","networkName":"cbr0","netns":"/var$ns","cniArgs":[["K8S_POD_NAMESPACE","demo"],["K8S_POD_NAME","web"],["K8S_POD_INFRA_CONTAINER_ID","$sb"],["K8S_POD_UID","$uid"]]}
	EOF

	# Docker container redis.
	local did dsb rpid
	did=$(hex 32); dsb=$(hex 32)
	rpid=$(start redis-server unshare -n "$BIN/redis-server" -udp 0.0.0.0:6379)
	nsenter -t "$rpid" -n ip link set lo up
	bind "/proc/$rpid/ns/net" "/var/run/docker/netns/${dsb:0:12}"
	cg "docker/$did" "$rpid"
	mkdir -p "$ROOT/var/lib/docker/containers/$did"
	cat >"$ROOT/var/lib/docker/containers/$did/config.v2.json" <<-EOF
	{"ID":"$did","Name":"/redis","Config":{"Image":"redis:7","Labels":{}},"State":{"Running":true,"Pid":$rpid},"NetworkSettings":{"SandboxID":"$dsb","SandboxKey":"/var/run/docker/netns/${dsb:0:12}"}}
	EOF
	echo '{"NetworkMode":"bridge"}' >"$ROOT/var/lib/docker/containers/$did/hostconfig.json"

	# A bare namespace: no process at all.
	local bare="netstat-demo-$tag"
	ip netns add "$bare"
	record netns "$bare"
	bind "/run/netns/$bare" /run/netns/demo-bare

	echo "demo: up in $ROOT (pod demo/web, Docker container redis, namespace demo-bare)"
}

# try prints the commands to run next; each is an example in the README
# (hack/readme-examples.sh checks that).
try() {
	cat <<-EOF
	Try next (as root, with bin/ on PATH: export PATH="\$PWD/bin:\$PATH"):
	  kubectl-netstat --all-containers -tulpn --host-root $ROOT
	  kubectl-netstat -tlnp --host-root $ROOT web
	  kubectl-netstat namespaces --host-root $ROOT
	  kubectl-netstat containers --host-root $ROOT
	  kubectl-netstat container/redis -tlnp -o json --host-root $ROOT
	  kubectl-netstat audit --host-root $ROOT
	--host-root points at the demo's runtime state; on a real node leave it out.
	Remove the demo with: make demo-down
	EOF
}

down() {
	if [ ! -f "$STATE" ]; then
		echo "demo: nothing to remove in $ROOT"
		return
	fi
	local kind arg
	while read -r kind arg; do
		if [ "$kind" = pid ]; then kill -9 "$arg" 2>/dev/null || true; fi
	done <"$STATE"
	sleep 0.2
	tac "$STATE" | while read -r kind arg; do
		case $kind in
		mount) umount -l "$arg" 2>/dev/null || true ;;
		netns) ip netns del "$arg" 2>/dev/null || true ;;
		cgroup)
			find "$arg" -depth -type d 2>/dev/null | while read -r d; do
				for _ in $(seq 50); do rmdir "$d" 2>/dev/null && break; sleep 0.05; done
			done ;;
		esac
	done
	rm -rf "$ROOT"
	echo "demo: removed $ROOT"
}

case $cmd in
up) up ;;
down) down ;;
try) try ;;
status) if [ -s "$STATE" ]; then cat "$STATE"; else echo "demo: not up in $ROOT"; fi ;;
*) echo "usage: $0 up|down|try|status [HOST_ROOT]" >&2; exit 2 ;;
esac
