#!/bin/sh
# vendor.sh copies Natural Earth country shapes from the npm package
# world-atlas into data/, where atlas.go embeds them. It needs npm and the
# npm registry; the binary never downloads anything. Run it with
# "go generate ./internal/web/atlas" after changing the version, then
# review and commit data/.
set -eu
cd "$(dirname "$0")"
version=2.0.2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# npm pack checks the tarball against the registry's integrity hash.
(cd "$tmp" && npm pack --silent "world-atlas@$version" >/dev/null && tar -xzf "world-atlas-$version.tgz")
cp "$tmp/package/countries-110m.json" "$tmp/package/countries-50m.json" data/
cp "$tmp/package/LICENSE" data/LICENSE
(cd data && sha256sum countries-110m.json countries-50m.json LICENSE >SHA256SUMS)
echo "vendored world-atlas@$version into $(pwd)/data"
