#!/usr/bin/env bash
# CI's release step: GoReleaser builds the five krew platforms and their
# archives in snapshot mode into a temp dir, then krew's own validator checks
# plugin.yaml (rendered with the archives' real sha256s, as krew-release-bot
# would) and the manifest GoReleaser rendered.
#
#   hack/release-check.sh            (tools from hack/release-tools.sh, cached)
set -euo pipefail

cd "$(dirname "$0")/.."
tools=$(hack/release-tools.sh)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The repository's config, pointed at the temp dir (GoReleaser has no --dist flag).
{ cat .goreleaser.yaml; echo "dist: $tmp/dist"; } >"$tmp/goreleaser.yaml"
start=$SECONDS
"$tools/goreleaser" release --snapshot --clean --config "$tmp/goreleaser.yaml" --parallelism 2
echo "release-check: goreleaser snapshot took $((SECONDS - start))s"

dist=$tmp/dist
want=(linux_amd64.tar.gz linux_arm64.tar.gz darwin_amd64.tar.gz darwin_arm64.tar.gz windows_amd64.zip)
tag=
for w in "${want[@]}"; do
	f=$(ls "$dist"/kubectl-netstat_*_"$w")
	echo "release-check: $(basename "$f") $(du -h "$f" | cut -f1)"
	t=$(basename "$f")
	t=${t#kubectl-netstat_}
	tag=${t%_"$w"}
done

# The archive for this machine runs and reports the snapshot version.
mkdir "$tmp/x"
tar -xzf "$dist/kubectl-netstat_${tag}_linux_amd64.tar.gz" -C "$tmp/x"
"$tmp/x/kubectl-netstat" -V | tee "$tmp/version"
grep -q "kubectl-netstat v" "$tmp/version"

# Render plugin.yaml as krew-release-bot does: {{ .TagName }} and
# {{addURIAndSha "URL" .TagName }} -> uri + sha256 of the real archive.
out=$tmp/netstat.yaml
while IFS= read -r line; do
	if [[ $line =~ ^([[:space:]]*)\{\{addURIAndSha\ \"([^\"]+)\"\ \.TagName\ \}\}$ ]]; then
		indent=${BASH_REMATCH[1]}
		url=${BASH_REMATCH[2]//\{\{ .TagName \}\}/$tag}
		sum=$(sha256sum "$dist/${url##*/}" | cut -d' ' -f1)
		printf '%suri: %s\n%ssha256: %s\n' "$indent" "$url" "$indent" "$sum"
	else
		printf '%s\n' "${line//\{\{ .TagName \}\}/$tag}"
	fi
done <plugin.yaml >"$out"
if grep -n '{{' "$out"; then
	echo "release-check: plugin.yaml has template parts krew-release-bot would not fill" >&2
	exit 1
fi
n=$(grep -c 'sha256:' "$out")
[[ $n == 5 ]] || { echo "release-check: plugin.yaml lists $n platforms, want 5" >&2; exit 1; }

# Installing would download the release URLs; there is no network here.
"$tools/validate-krew-manifest" -manifest "$out" -skip-install
"$tools/validate-krew-manifest" -manifest "$dist/krew/netstat.yaml" -skip-install
echo "release-check: plugin.yaml and GoReleaser's krew manifest pass validate-krew-manifest ($n platforms, tag $tag)"
