#!/usr/bin/env bash
# Build the agent image and a pause (pod sandbox) image from source, as OCI
# image archives, with no Docker daemon, registry or base image:
#
#   hack/agent-image.sh [OUTDIR]     (default: bin/)
#
# writes OUTDIR/agent-image.tar  (AGENT_IMAGE, default ghcr.io/kubectl-netstat/kubectl-netstat:latest,
#                                 the tag the agent runs for a development build)
#        OUTDIR/pause-image.tar  (PAUSE_IMAGE, default localhost/kubectl-netstat/pause:local)
# and prints both paths. Load them with `ctr -n k8s.io images import FILE`.
# GOARCH picks the architecture; VERSION is stamped into the binary.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out=$(mkdir -p "${1:-$root/bin}" && cd "${1:-$root/bin}" && pwd)
agent_image=${AGENT_IMAGE:-ghcr.io/kubectl-netstat/kubectl-netstat:latest}
pause_image=${PAUSE_IMAGE:-localhost/kubectl-netstat/pause:local}
arch=${GOARCH:-$(go env GOARCH)}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export CGO_ENABLED=0 GOARCH=$arch
ldflags="-s -w"
if [[ -n ${VERSION:-} ]]; then ldflags+=" -X github.com/kubectl-netstat/kubectl-netstat/pkg/cmd.version=$VERSION"; fi
(cd "$root" && go build -trimpath -ldflags "$ldflags" -o "$work/kubectl-netstat" ./cmd/kubectl-netstat)
(cd "$root" && go build -trimpath -ldflags "-s -w" -o "$work/pause" ./hack/pause)
# The image writer is its own module (go-containerregistry stays out of the
# project's go.mod) and runs on the build machine.
(cd "$here/ociimage" && GOARCH= GOWORK=off go build -o "$work/ociimage" .)

"$work/ociimage" -name "$agent_image" -arch "$arch" -entrypoint /kubectl-netstat \
	-o "$out/agent-image.tar" "$work/kubectl-netstat=/kubectl-netstat"
"$work/ociimage" -name "$pause_image" -arch "$arch" -entrypoint /pause \
	-o "$out/pause-image.tar" "$work/pause=/pause"
echo "$out/agent-image.tar"
echo "$out/pause-image.tar"
