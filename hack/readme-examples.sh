#!/usr/bin/env bash
# hack/readme-examples.sh [--update]
#
# Checks every README block marked <!-- readme-example -->: brings the demo
# scene (hack/demo.sh) up, runs each "$ command" of those blocks exactly as
# written, and fails when the output differs from the README's text once the
# fields that change from run to run are normalised (PIDs, inodes, container
# IDs, netns and cni names; see hack/readmecheck). It also fails when the demo
# suggests a command the README does not show. --update rewrites the blocks
# from the output instead (for maintainers; review the diff).
#
# Everything runs in private PID, mount and network namespaces: the "host" is
# a fresh empty network namespace, and nothing else on the machine (other
# tests' namespaces, real containers, a demo you have up) shows up in the
# output or is touched. Needs root, unshare, findmnt and go.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
DEMO_ROOT=/tmp/kubectl-netstat-demo # the path the README's commands name
die() { echo "readme-examples: $*" >&2; exit 1; }

if [ "${KNS_README_SANDBOX:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || die "must run as root (namespaces, cgroups, mounts)"
	for t in unshare findmnt go; do command -v "$t" >/dev/null || die "$t not found"; done
	work=$(mktemp -d /tmp/kns-readme.XXXXXX)
	made=
	cleanup() {
		rm -rf "$work"
		if [ -n "$made" ]; then rmdir "$DEMO_ROOT" 2>/dev/null || true; fi
	}
	trap cleanup EXIT
	cd "$REPO"
	CGO_ENABLED=0 go build -o bin/kubectl-netstat ./cmd/kubectl-netstat
	go build -o "$work/readmecheck" ./hack/readmecheck
	# The sandbox mounts a tmpfs on DEMO_ROOT; a mount point must exist.
	if [ ! -d "$DEMO_ROOT" ]; then mkdir -p "$DEMO_ROOT"; made=1; fi
	rc=0
	KNS_README_SANDBOX=1 KNS_README_WORK="$work" \
		unshare --pid --mount --net --fork --mount-proc --propagation private "$0" "$@" || rc=$?
	exit "$rc"
fi

# Inside the sandbox (PID 1 of a new PID namespace).
work=$KNS_README_WORK
cd "$REPO"
# PIDs from 20001 on, so readmecheck can tell them from ports and counts.
echo 20000 >/proc/sys/kernel/ns_last_pid
# Forget the network namespaces bound anywhere on the host (copied into this
# private mount namespace): only the demo's are to be seen.
# (findmnt exits 1 when there are none, as on a fresh machine.)
{ findmnt -rn -t nsfs -o TARGET || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
# `ip netns add` writes /run/netns; a private /run keeps the host's untouched.
mount -t tmpfs -o mode=755 readme-run /run
mount -t tmpfs -o mode=755 readme-demo "$DEMO_ROOT"
trap 'hack/demo.sh down "$DEMO_ROOT" >/dev/null 2>&1 || true' EXIT
hack/demo.sh up "$DEMO_ROOT" >/dev/null
hack/demo.sh try "$DEMO_ROOT" >"$work/suggested"

# A node without a kubeconfig: pod names are looked up in runtime state.
mkdir -p "$work/home"
export HOME="$work/home" PATH="$REPO/bin:$PATH" LC_ALL=C
unset KUBECONFIG
update=()
if [ "${1:-}" = --update ]; then update=(-update); fi
"$work/readmecheck" "${update[@]}" -suggested "$work/suggested" README.md
