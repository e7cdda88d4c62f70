#!/usr/bin/env bash
# The two commands of the README:
#   npm start   builds what is missing and starts the whole system natively (Ctrl-C stops it)
#   npm test    builds what is missing and runs every test, ending with "N passed, N failed"
#   npm run scenario -- list|on|off   switches the fault scenarios (flags/traceshop.flagd.json)
#   npm run audit [-- --json]   checks the invariants across the services' data (tools/audit)
#   npm run replay -- <queue>   moves a queue's dead letters back to it, once its consumer is fixed
#   npm run trace -- <trace-id>|--last   draws a trace from Jaeger in the terminal (tools/trace)
#   npm run lab -- start|check|fix|verify|reset <lab>   the labs of docs/labs, graded (tools/lab)
#   npm run reliability         runs the fault suite alone and writes docs/reliability.md
#   npm run k6 -- <script> [k6 run options]   a k6 script of k6/ (smoke, incidents/slow-checkout, ...)
#   npm run bench [-- startup|reference-incident] [-- options]   what tracing costs (tools/bench/overhead.ts),
#               start-up, or the slow-checkout incident against its reference
# Each brings its own Node 24 (tools/node.sh); start, test, reliability and bench also the npm
# dependencies, the builds and the pinned Collector, Jaeger and k6 (tools/build-tools.sh, cached
# in ~/.cache/traceshop, built once), and k6 its k6.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/node.sh
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

APPS=gateway,auth,cart,inventory,payment,payment-provider
# TypeScript entry points run with tsx. The root tsconfig, not a project's: tsx applies a
# tsconfig's options (here: legacy decorators, for the DTOs of libs/contracts) only to the files
# that tsconfig includes. tools/deploy-checks runs these lines (commands.spec.ts).
TSX="npx tsx --tsconfig tsconfig.base.json"

setup() {
  # Install the locked versions when the lockfile changed since the last install. `npm install`,
  # not `npm ci`: it keeps what is installed instead of starting from nothing each time. The
  # lockfile is complete for Linux, macOS and Windows, so `npm ci` works too (package.json's
  # override pins sass-embedded, an unused optional part of @nx/webpack, to the newest version
  # whose platform binaries every registry mirror has).
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm install --no-audit --no-fund
  fi
  bash tools/build-tools.sh collector jaeger k6
  npx nx run-many -t build -p "$APPS" --output-style=static
}

case ${1:-} in
  start)
    setup
    exec $TSX tools/stack.ts
    ;;
  test)
    setup
    # For the Helm chart's checks (tools/deploy-checks): Helm, and a Kubernetes API server with its etcd.
    bash tools/build-tools.sh helm kube-apiserver etcd
    rm -rf dist/test-results
    status=0
    # Lint (module boundaries, SDK only in libs/telemetry), unit and integration tests of every
    # app and lib, then the system tests on the native stack.
    npx nx run-many -t lint --output-style=static || status=1
    npx nx run-many -t test --exclude system-tests --parallel=2 --output-style=static || status=1
    npx nx run system-tests:e2e --output-style=static || status=1
    # Last and alone: the fault suite stops and starts the machine's Postgres, Redis and RabbitMQ
    # (and puts them back itself; once more here, whatever happened to it).
    npx nx run system-tests:faults --output-style=static || status=1
    bash tools/infra.sh ensure || status=1
    node tools/test-summary.js "$status"
    ;;
  scenario)
    shift
    exec $TSX tools/scenario.ts "$@"
    ;;
  audit)
    shift
    exec $TSX tools/audit/src/audit.ts "$@"
    ;;
  replay)
    shift
    exec $TSX tools/replay.ts "$@"
    ;;
  trace)
    shift
    exec $TSX tools/trace/src/trace.ts "$@"
    ;;
  lab)
    shift
    exec $TSX tools/lab/src/lab.ts "$@"
    ;;
  k6)
    shift
    # A script by its name under k6/ (`smoke`, `incidents/slow-checkout`; `k6/smoke.ts` too), the
    # rest are `k6 run` options (-e NAME=value, --vus, ...), which k6 wants before the script.
    script=${1:-}
    script=${script#k6/}
    script=k6/${script%.ts}.ts
    if [ $# -eq 0 ] || [ ! -f "$script" ]; then
      echo "usage: npm run k6 -- <script> [k6 run options], a script of k6/:" >&2
      (cd k6 && find . -name '*.ts' -not -path './lib/*' | sed 's|^\./||; s|\.ts$||' | sort | sed 's/^/  /') >&2
      exit 2
    fi
    shift
    bash tools/build-tools.sh k6 >&2
    source otel/versions.env
    exec "${TRACESHOP_TOOLS:-$HOME/.cache/traceshop/tools}/k6-$K6_VERSION" run "$@" "$script"
    ;;
  bench)
    shift
    setup
    if [ "${1:-}" = startup ]; then
      shift
      exec $TSX tools/bench/startup.ts "$@"
    fi
    if [ "${1:-}" = reference-incident ]; then
      shift
      exec $TSX tools/bench/reference-incident.ts "$@"
    fi
    exec $TSX tools/bench/overhead.ts "$@"
    ;;
  reliability)
    setup
    rm -rf dist/test-results
    status=0
    TRACESHOP_RELIABILITY_REPORT="$PWD/docs/reliability.md" npx nx run system-tests:faults --output-style=static || status=1
    bash tools/infra.sh ensure || status=1
    node tools/test-summary.js "$status"
    ;;
  *)
    echo "usage: $0 start|test|scenario|audit|trace|lab|reliability|k6|bench" >&2
    exit 2
    ;;
esac
