#!/usr/bin/env bash
# Build the release tools CI runs — krew's own manifest validator and
# GoReleaser — from the Go module proxy into a cache outside the repository.
#
#   hack/release-tools.sh        build what is missing, print the bin dir
#   KNS_CACHE=/some/dir hack/release-tools.sh
#
# Idempotent: each binary carries a stamp naming its pinned version and is
# rebuilt only when the pin changes. A lock makes a concurrent run wait.
# Cold cost on 2 cores: validate-krew-manifest ~1 min, goreleaser ~5 min.
set -euo pipefail

KREW_VERSION=v0.4.3
GORELEASER_VERSION=v2.15.1

cache=${KNS_CACHE:-/var/cache/kubectl-netstat}
bin=$cache/tools
mkdir -p "$bin"

exec 8>"$cache/.release-tools.lock"
if ! flock -n 8; then
	echo "release-tools: another build holds $cache/.release-tools.lock; waiting" >&2
	flock 8
fi

# build NAME VERSION PKG@VERSION: go install into a temp GOBIN, then move.
build() {
	local name=$1 version=$2 pkg=$3
	if [[ -x $bin/$name && -f $bin/.$name.version && $(cat "$bin/.$name.version") == "$version" ]]; then
		echo "release-tools: $name $version up to date" >&2
		return
	fi
	echo "release-tools: building $name $version (cold cache)" >&2
	local start=$SECONDS tmp
	tmp=$(mktemp -d "$bin/.build.XXXXXX")
	# GOFLAGS is cleared: the project's -buildvcs or -mod settings are not the tool's.
	GOFLAGS= GOWORK=off CGO_ENABLED=0 GOBIN=$tmp nice -n 10 go install -trimpath -ldflags "-s -w" "$pkg@$version"
	mv "$tmp/$name" "$bin/$name"
	rmdir "$tmp"
	echo "$version" >"$bin/.$name.version"
	echo "release-tools: built $bin/$name in $((SECONDS - start))s" >&2
}

build validate-krew-manifest "$KREW_VERSION" sigs.k8s.io/krew/cmd/validate-krew-manifest
build goreleaser "$GORELEASER_VERSION" github.com/goreleaser/goreleaser/v2

echo "$bin"
