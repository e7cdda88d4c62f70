#!/usr/bin/env bash
# Builds the pinned OpenTelemetry Collector, Jaeger v2 and k6 from their Go modules into a cache
# outside the repository; on request also Helm, a Kubernetes API server and its etcd, with which
# tools/deploy-checks checks the Helm chart (deploy/helm/traceshop) without a cluster. A binary
# that is already there at its pinned version is not rebuilt.
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

# A module whose go.mod replaces modules of its own repository with folders of it (`=> ./...`,
# `=> ../...`) cannot be `go install`ed, and its zip may leave those folders out: copy its source
# from the proxy and build it as the main module, each replaced module required at the version its
# repository published it under instead. Usage: from_source module@version replaced-version package
from_source() {
  local src; src=$(go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  cp -r "$src" src && chmod -R u+w src
  ( cd src && rm -rf go.work vendor && cp go.mod go.mod.orig
    local m
    for m in $(awk '/=> \.\.?\// { for (i = 1; i <= NF; i++) if ($i != "replace" && $i != "(") { print $i; break } }' go.mod); do
      go mod edit -dropreplace="$m"
      # (etcd "replaces" two modules it must never import with a missing folder: those stay out.)
      if ! grep -q "^replace $m => ./FORBIDDEN" go.mod.orig; then go mod edit -require="$m@$2"; fi
    done
    GOWORK=off GOFLAGS="$GOFLAGS -mod=mod" go build -o ../bin "$3" )
}
helm() {
  GOBIN="$PWD/gobin" go install "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
  mv gobin/helm bin
}
kube_apiserver() {
  # k8s.io/kubernetes publishes its k8s.io/<name> staging folders as modules k8s.io/<name>@v0.x.y.
  from_source "k8s.io/kubernetes@v$KUBERNETES_VERSION" "v0.${KUBERNETES_VERSION#*.}" ./cmd/kube-apiserver
}
etcd() {
  from_source "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" "v$ETCD_VERSION" .
}

what=${*:-collector jaeger k6}
for t in $what; do
  case $t in
    # Named by its version and its component list's hash: a changed otel/builder-config.yaml rebuilds.
    collector) build otelcol "$OTELCOL_VERSION-$(sha256sum "$root/otel/builder-config.yaml" | cut -c1-12)" collector ;;
    jaeger) build jaeger "$JAEGER_VERSION" jaeger ;;
    k6) build k6 "$K6_VERSION" k6 ;;
    helm) build helm "$HELM_VERSION" helm ;;
    kube-apiserver) build kube-apiserver "$KUBERNETES_VERSION" kube_apiserver ;;
    etcd) build etcd "$ETCD_VERSION" etcd ;;
    *) echo "unknown tool $t" >&2; exit 2 ;;
  esac
done
