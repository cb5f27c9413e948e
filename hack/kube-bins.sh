#!/usr/bin/env bash
# Build a real etcd, kube-apiserver, kubelet and kubectl from their Go modules into a cache
# outside the repository, for the e2e/kube tests (see e2e/kube and README).
#
#   hack/kube-bins.sh            build what is missing, print the bin dir
#   KNS_CACHE=/some/dir hack/kube-bins.sh
#
# Idempotent: each binary carries a stamp file naming the pinned version; a
# binary whose stamp matches is not rebuilt. A lock file makes a second
# concurrent run wait instead of starting a second 2.8 GB build.
#
# Cold cost on 2 cores: etcd ~1.5 min, kube-apiserver + kubelet + kubectl
# ~15 min (2.8 GB RSS).
set -euo pipefail

K8S_VERSION=v1.37.2  # keep in sync with hack/kubebins/apiserver/go.mod
ETCD_VERSION=v3.6.16 # keep in sync with hack/kubebins/etcd/go.mod

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${KNS_CACHE:-/var/cache/kubectl-netstat}
bin=$cache/bin
src=$cache/src
mkdir -p "$bin" "$src"

exec 9>"$cache/.kube-bins.lock"
if ! flock -n 9; then
	echo "kube-bins: another build holds $cache/.kube-bins.lock; waiting" >&2
	flock 9
fi

# stamp NAME VERSION: true when bin/NAME exists and was built for VERSION.
fresh() {
	[[ -x $bin/$1 && -f $bin/.$1.version && $(cat "$bin/.$1.version") == "$2" ]]
}

# build NAME VERSION MODDIR PKG LDFLAGS: copy the build module into the cache
# (so tidy never dirties the work tree), tidy it, build PKG to bin/NAME.
build() {
	local name=$1 version=$2 moddir=$3 pkg=$4 ldflags=$5
	if fresh "$name" "$version"; then
		echo "kube-bins: $name $version up to date" >&2
		return
	fi
	echo "kube-bins: building $name $version (slow, cold cache)" >&2
	local work=$src/$name
	rm -rf "$work"
	mkdir -p "$work"
	cp "$here/kubebins/$moddir"/* "$work/"
	local start=$SECONDS
	(
		cd "$work"
		export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
		nice -n 10 go mod tidy
		nice -n 10 go build -trimpath -ldflags "-s -w $ldflags" -o "$bin/$name.tmp" "$pkg"
	)
	mv "$bin/$name.tmp" "$bin/$name"
	echo "$version" >"$bin/.$name.version"
	echo "kube-bins: built $bin/$name in $((SECONDS - start))s" >&2
}

build etcd "$ETCD_VERSION" etcd . ""

minor=${K8S_VERSION#v1.}
minor=${minor%%.*}
k8s_ldflags="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"

# kube-apiserver, kubelet and kubectl come from one build module and one go
# build, so the shared k8s.io packages compile once.
want=()
for name in kube-apiserver kubelet kubectl; do
	if fresh "$name" "$K8S_VERSION"; then
		echo "kube-bins: $name $K8S_VERSION up to date" >&2
	else
		want+=("$name")
	fi
done
if ((${#want[@]})); then
	echo "kube-bins: building ${want[*]} $K8S_VERSION (slow, cold cache)" >&2
	work=$src/k8s
	rm -rf "$work"
	mkdir -p "$work" "$bin/.k8s.tmp"
	cp "$here/kubebins/apiserver"/* "$work/"
	start=$SECONDS
	pkgs=()
	for name in "${want[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$name"); done
	(
		cd "$work"
		export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
		nice -n 10 go mod tidy
		nice -n 10 go build -trimpath -ldflags "-s -w $k8s_ldflags" -o "$bin/.k8s.tmp/" "${pkgs[@]}"
	)
	for name in "${want[@]}"; do
		mv "$bin/.k8s.tmp/$name" "$bin/$name"
		echo "$K8S_VERSION" >"$bin/.$name.version"
	done
	rmdir "$bin/.k8s.tmp"
	echo "kube-bins: built ${want[*]} in $((SECONDS - start))s" >&2
fi

echo "$bin"
