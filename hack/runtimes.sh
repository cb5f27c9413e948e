#!/usr/bin/env bash
# Real container runtimes for e2e/runtimes (facts: shared docs real-runtimes.md).
#
#   hack/runtimes.sh up     build the busybox rootfs and images, start dockerd,
#                           write Podman's private containers.conf, the crun
#                           wrapper and the rootless user; prints KEY=VALUE lines
#   hack/runtimes.sh down   stop and remove everything "up" made (containers of
#                           the test prefix, dockerd, images, the user, dirs)
#   hack/runtimes.sh env    print the KEY=VALUE lines only
#
# Idempotent: "up" twice reuses what runs; "down" on a clean machine is a no-op.
# Needs root. No registry: images are imported from a local rootfs tar.
set -euo pipefail

STATE=${KNS_RUNTIMES_STATE:-/run/kns-runtimes}
CACHE=${KNS_RUNTIMES_CACHE:-/var/cache/kubectl-netstat/runtimes}
IMAGE=kns-busybox:e2e
RUSER=kns-rootless
RUID=${KNS_ROOTLESS_UID:-61234}
cd "$(dirname "$0")/.."
REPO=$PWD

log() { printf 'runtimes.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root"

env_lines() {
	echo "KNS_RT_STATE=$STATE"
	echo "KNS_RT_ROOTFS=$CACHE/rootfs"
	echo "KNS_RT_ROOTFS_TAR=$CACHE/rootfs.tar"
	echo "KNS_RT_IMAGE=$IMAGE"
	echo "CONTAINERS_CONF=$STATE/containers.conf"
	echo "KNS_RT_CRUN_WRAPPER=$STATE/crun-hybrid"
	echo "KNS_RT_ROOTLESS_USER=$RUSER"
	echo "KNS_RT_ROOTLESS_UID=$RUID"
}

build_rootfs() {
	local bb=/bin/busybox
	[ -x "$bb" ] || die "busybox-static missing (/bin/busybox)"
	mkdir -p "$CACHE"
	# The listener is rebuilt when its source changes (cheap, cached by go).
	local tmp
	tmp=$(mktemp -d "$CACHE/rootfs.XXXXXX")
	mkdir -p "$tmp"/{bin,sbin,etc,proc,sys,dev,tmp,run,var/run,root,usr/lib}
	# systemd-nspawn wants /usr and an os-release to call it an OS tree.
	printf 'ID=kns-busybox\nNAME="kns busybox"\n' >"$tmp/usr/lib/os-release"
	ln -s ../usr/lib/os-release "$tmp/etc/os-release"
	cp "$bb" "$tmp/bin/busybox"
	for a in $("$bb" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$tmp/bin/$a"
	done
	CGO_ENABLED=0 go build -trimpath -o "$tmp/bin/listen" ./hack/listen
	echo 'root:x:0:0:root:/root:/bin/sh' >"$tmp/etc/passwd"
	echo 'root:x:0:' >"$tmp/etc/group"
	echo '127.0.0.1 localhost' >"$tmp/etc/hosts"
	: >"$tmp/etc/resolv.conf"
	rm -rf "$CACHE/rootfs" && mv "$tmp" "$CACHE/rootfs"
	tar -C "$CACHE/rootfs" -cf "$CACHE/rootfs.tar.new" . && mv "$CACHE/rootfs.tar.new" "$CACHE/rootfs.tar"
	sha256sum "$CACHE/rootfs.tar" | cut -d' ' -f1 >"$CACHE/rootfs.sum"
}

docker_up() {
	command -v dockerd >/dev/null || { log "dockerd not installed: Docker skipped"; return 0; }
	if ! docker version >/dev/null 2>&1; then
		[ -e /var/lib/docker ] || touch "$STATE/made-var-lib-docker"
		# Exactly the flags of real-runtimes.md: no iptables, no default bridge,
		# vfs storage, ulimits root can grant without CAP_SYS_RESOURCE.
		( ulimit -n 20000; exec setsid dockerd --iptables=false --ip6tables=false --bridge=none \
			--storage-driver=vfs --default-ulimit nofile=20000:20000 --default-ulimit nproc=4096:4096 \
			--pidfile "$STATE/dockerd.pid" >"$STATE/dockerd.log" 2>&1 </dev/null ) &
		local i
		for i in $(seq 1 120); do
			docker version >/dev/null 2>&1 && break
			sleep 0.5
		done
		docker version >/dev/null 2>&1 || { tail -20 "$STATE/dockerd.log" >&2; die "dockerd did not start"; }
	fi
	if [ "$(docker image inspect -f '{{index .Config.Labels "kns.sum"}}' "$IMAGE" 2>/dev/null)" != "$(cat "$CACHE/rootfs.sum")" ]; then
		docker import -c "LABEL kns.sum=$(cat "$CACHE/rootfs.sum")" -c 'CMD ["/bin/sh"]' "$CACHE/rootfs.tar" "$IMAGE" >/dev/null
	fi
}

podman_up() {
	command -v podman >/dev/null || { log "podman not installed: Podman skipped"; return 0; }
	# Podman asks for nofile 1048576 by default; pods take no --ulimit.
	cat >"$STATE/containers.conf" <<-EOF
	[containers]
	default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
	[engine]
	cgroup_manager = "cgroupfs"
	events_logger = "file"
	runtime = "runc"
	EOF
	# crun refuses hybrid cgroups because cgroup2 holds hugetlb: hide
	# cgroup.controllers in a private mount namespace, never on the host.
	cat >"$STATE/crun-hybrid" <<-'EOF'
	#!/bin/sh
	exec unshare -m sh -c 'mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; exec /usr/bin/crun "$@"' crun "$@"
	EOF
	chmod 0755 "$STATE/crun-hybrid"
	[ -e /var/lib/containers ] || touch "$STATE/made-var-lib-containers"
	export CONTAINERS_CONF="$STATE/containers.conf"
	local sum
	sum=$(cat "$CACHE/rootfs.sum")
	if [ "$(podman image inspect -f '{{index .Labels "kns.sum"}}' "localhost/$IMAGE" 2>/dev/null)" != "$sum" ]; then
		podman import -c "LABEL kns.sum=$sum" -c 'CMD ["/bin/sh"]' "$CACHE/rootfs.tar" "localhost/$IMAGE" >/dev/null
	fi
	# A second store with the other driver (one store keeps its first driver).
	local alt=$STATE/podman-alt
	if [ "$(podman info -f '{{.Store.GraphDriverName}}' 2>/dev/null)" = overlay ]; then
		echo vfs >"$STATE/alt-driver"
	else
		echo overlay >"$STATE/alt-driver"
	fi
	local drv
	drv=$(cat "$STATE/alt-driver")
	mkdir -p "$alt/root" "$alt/runroot"
	if ! podman --root "$alt/root" --runroot "$alt/runroot" --storage-driver "$drv" image exists "localhost/$IMAGE" 2>/dev/null; then
		podman --root "$alt/root" --runroot "$alt/runroot" --storage-driver "$drv" import "$CACHE/rootfs.tar" "localhost/$IMAGE" >/dev/null ||
			log "podman store with $drv failed (second store skipped)"
	fi
	rootless_up || log "rootless Podman set-up failed (rootless skipped)"
}

rootless_up() {
	command -v newuidmap >/dev/null || { log "uidmap not installed"; return 1; }
	if ! id "$RUSER" >/dev/null 2>&1; then
		useradd -M -d "$STATE/home" -u "$RUID" -s /bin/sh "$RUSER"
	fi
	grep -q "^$RUSER:" /etc/subuid || echo "$RUSER:3100000:65536" >>/etc/subuid
	grep -q "^$RUSER:" /etc/subgid || echo "$RUSER:3100000:65536" >>/etc/subgid
	mkdir -p "$STATE/home" "$STATE/xdg-$RUID"
	chown "$RUSER:" "$STATE/home" "$STATE/xdg-$RUID"
	chmod 0700 "$STATE/xdg-$RUID"
	chmod 0755 "$STATE"
	cp "$CACHE/rootfs.tar" "$STATE/home/rootfs.tar" && chown "$RUSER:" "$STATE/home/rootfs.tar"
	rootless podman --storage-driver vfs import "$STATE/home/rootfs.tar" "localhost/$IMAGE" >/dev/null
}

# rootless CMD…: run CMD as the rootless user with its environment.
# containers.conf already selects cgroupfs, the file events backend and runc.
rootless() {
	(cd / && runuser -u "$RUSER" -- env HOME="$STATE/home" XDG_RUNTIME_DIR="$STATE/xdg-$RUID" \
		CONTAINERS_CONF="$STATE/containers.conf" PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@")
}

up() {
	mkdir -p "$STATE"
	build_rootfs
	docker_up
	podman_up
	env_lines
}

down() {
	local prefix=kns-e2e-
	if command -v docker >/dev/null && docker version >/dev/null 2>&1; then
		docker ps -aq --filter "name=$prefix" | xargs -r docker rm -f >/dev/null 2>&1 || true
		docker network ls -q --filter "name=$prefix" | xargs -r docker network rm >/dev/null 2>&1 || true
		docker image rm -f "$IMAGE" >/dev/null 2>&1 || true
	fi
	if [ -f "$STATE/dockerd.pid" ]; then
		local pid
		pid=$(cat "$STATE/dockerd.pid")
		if kill "$pid" 2>/dev/null; then
			for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
		fi
	fi
	if [ -f "$STATE/made-var-lib-docker" ] && ! docker version >/dev/null 2>&1; then
		# dockerd leaves /run/docker/netns/default (the host's netns) mounted.
		awk '$5 ~ "^/run/docker/|^/var/lib/docker/" {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
		rm -rf /var/lib/docker /run/docker
	fi
	if command -v podman >/dev/null && [ -f "$STATE/containers.conf" ]; then
		export CONTAINERS_CONF="$STATE/containers.conf"
		podman pod ps -q --filter "name=$prefix" | xargs -r podman pod rm -f >/dev/null 2>&1 || true
		podman ps -aq --filter "name=$prefix" | xargs -r podman rm -f >/dev/null 2>&1 || true
		podman image rm -f "localhost/$IMAGE" >/dev/null 2>&1 || true
		if [ -f "$STATE/made-var-lib-containers" ]; then
			# The default store was ours: the pause image and the store go too.
			podman system reset -f >/dev/null 2>&1 || true
			rm -rf /var/lib/containers /run/containers /run/libpod
		fi
		if [ -f "$STATE/alt-driver" ]; then
			local drv
			drv=$(cat "$STATE/alt-driver")
			podman --root "$STATE/podman-alt/root" --runroot "$STATE/podman-alt/runroot" --storage-driver "$drv" rm -af >/dev/null 2>&1 || true
			podman --root "$STATE/podman-alt/root" --runroot "$STATE/podman-alt/runroot" --storage-driver "$drv" system reset -f >/dev/null 2>&1 || true
		fi
	fi
	if id "$RUSER" >/dev/null 2>&1; then
		rootless podman --storage-driver vfs rm -af >/dev/null 2>&1 || true
		rootless podman --storage-driver vfs system reset -f >/dev/null 2>&1 || true
		pkill -u "$RUID" 2>/dev/null || true # only the test user's processes
		sleep 0.5
		userdel "$RUSER" 2>/dev/null || true
		sed -i "/^$RUSER:/d" /etc/subuid /etc/subgid
	fi
	for n in $(lxc-ls 2>/dev/null | tr ' ' '\n' | grep "^$prefix" || true); do
		lxc-stop -k -n "$n" >/dev/null 2>&1 || true
		lxc-destroy -n "$n" >/dev/null 2>&1 || true
	done
	if [ -d "$STATE" ]; then
		umount -R "$STATE"/* 2>/dev/null || true
		rm -rf "$STATE"
	fi
}

case "${1:-}" in
up) up ;;
down) down ;;
env) env_lines ;;
*) echo "usage: hack/runtimes.sh up|down|env" >&2; exit 2 ;;
esac
