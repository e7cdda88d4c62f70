#!/usr/bin/env bash
# Builds the pinned OpenTelemetry Collector, Jaeger v2 and k6 from their Go modules into a cache
# outside the repository. A binary that is already there at its pinned version is not rebuilt.
#   TRACESHOP_TOOLS  where the binaries go (default ~/.cache/traceshop/tools)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../otel/versions.env
source "$root/otel/versions.env"
out=${TRACESHOP_TOOLS:-$HOME/.cache/traceshop/tools}
mkdir -p "$out"
export GOFLAGS=-trimpath CGO_ENABLED=0

build() { # name version command...
  local name=$1 version=$2; shift 2
  local bin="$out/$name-$version"
  if [ -x "$bin" ]; then echo "$name $version: cached"; return; fi
  echo "$name $version: building (first time only, several minutes)"
  local tmp; tmp=$(mktemp -d)
  # `set -e` does not fire inside an && list, so a failed build must be caught explicitly.
  if ! ( cd "$tmp" && "$@" ); then
    rm -rf "$tmp"; echo "$name $version: build FAILED" >&2; return 1
  fi
  mv "$tmp/bin" "$bin.tmp" && mv "$bin.tmp" "$bin"
  rm -rf "$tmp"
  echo "$name $version: built -> $bin"
}

collector() {
  GOBIN="$PWD" go install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION"
  cp "$root/otel/builder-config.yaml" .
  ./builder --config builder-config.yaml >builder.log 2>&1 || { tail -40 builder.log; return 1; }
  mv otelcol-traceshop/otelcol-traceshop bin
}
jaeger() {
  # Jaeger's go.mod has replace directives, so `go install mod@version` refuses it: fetch the
  # module's source from the proxy and build it as the main module. (No UI assets in the module:
  # the native Jaeger serves the query API and a placeholder page; the container has the UI.)
  local src; src=$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  cp -r "$src" jaeger-src && chmod -R u+w jaeger-src
  ( cd jaeger-src && go build -o ../bin ./cmd/jaeger )
}
k6() {
  GOBIN="$PWD/gobin" go install "go.k6.io/k6@v$K6_VERSION"
  mv gobin/k6 bin
}

what=${*:-collector jaeger k6}
for t in $what; do
  case $t in
    collector) build otelcol "$OTELCOL_VERSION" collector ;;
    jaeger) build jaeger "$JAEGER_VERSION" jaeger ;;
    k6) build k6 "$K6_VERSION" k6 ;;
    *) echo "unknown tool $t" >&2; exit 2 ;;
  esac
done
