#!/usr/bin/env bash
# Installs what vouch's demo and tests need on a fresh Debian machine: the distribution registry,
# skopeo, redis-server and git from Debian, then the npm dependencies, then the build.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(docker-registry skopeo redis-server git)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package starts a registry on :5000 with its own config; vouch's harness never uses it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl stop docker-registry || true
fi

npm ci --no-audit --no-fund
if [ "${1:-}" != "--no-build" ]; then npm run build; fi
