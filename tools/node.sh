# Sourced by the project's scripts: makes sure a Node.js >= 22.15 is first on PATH.
# The OpenTelemetry SDK line we use needs it; a machine with an older Node gets the version in
# .nvmrc from the npm registry (the node-linux-<arch> packages carry the official binaries),
# cached outside the repository.
_ts_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_ts_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=15)?0:1)'
}
if ! _ts_node_ok; then
  _ts_ver=$(cat "$_ts_root/.nvmrc")
  case $(uname -m) in x86_64) _ts_arch=x64 ;; aarch64|arm64) _ts_arch=arm64 ;; *) _ts_arch=$(uname -m) ;; esac
  _ts_dir=${TRACESHOP_CACHE:-$HOME/.cache/traceshop}/node-$_ts_ver
  if [ ! -x "$_ts_dir/node_modules/node-linux-$_ts_arch/bin/node" ]; then
    echo "installing Node $_ts_ver into $_ts_dir (the machine's Node is too old)" >&2
    npm install --silent --no-save --no-audit --no-fund --prefix "$_ts_dir" "node-linux-$_ts_arch@$_ts_ver" >&2
  fi
  export PATH="$_ts_dir/node_modules/node-linux-$_ts_arch/bin:$PATH"
fi
unset -f _ts_node_ok
