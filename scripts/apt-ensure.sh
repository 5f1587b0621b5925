#!/usr/bin/env bash
# Installs the given Debian packages only when they are missing (make demo / make test / make bench).
set -euo pipefail
missing_packages() {
  missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
}
missing_packages "$@"
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
# Two `make test` runs on one machine (two clones) must not race for apt's locks: one installs while
# the other waits, then finds the packages there. apt itself also waits for a lock another user holds.
lock="${TMPDIR:-/tmp}/withstand-apt-ensure.lock"
exec 9>>"$lock"
flock -w 1200 9
missing_packages "$@"
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
