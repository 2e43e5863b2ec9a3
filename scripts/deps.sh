#!/usr/bin/env bash
# Installs the Debian packages the gateway needs, only those missing.
#   scripts/deps.sh build   - to build and run the gateway
#   scripts/deps.sh test    - also what the tests need
#   scripts/deps.sh fuzz    - also clang and its fuzzer runtime
#   scripts/deps.sh package - also what builds and checks the .deb (scripts/package)
set -euo pipefail

build_pkgs=(cmake make gcc pkg-config libc6-dev
            libuv1-dev libcurl4-openssl-dev libjansson-dev libsqlite3-dev
            libnats-dev)  # the nats sink (JetStream)
test_pkgs=(libcmocka-dev python3 python3-jsonschema python3-yaml curl  # curl: the README example test_readme runs
           nodejs node-eventsource  # the webhook receiver example (test_webhook_sink); the SSE client library (test_events_stream)
           nats-server              # a real JetStream server on loopback (test_nats_sink, bench/nats.py)
           systemd                  # systemd-analyze verify of the unit (test_sdk)
           strace)                  # watches that no answer leaves before its fdatasync (test_durable)
fuzz_pkgs=(clang libclang-rt-14-dev)
package_pkgs=(dpkg-dev file systemd)  # dpkg-shlibdeps for cpack; systemd-analyze verify of the installed unit

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  fuzz) want+=("${test_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
  package) want+=("${package_pkgs[@]}") ;;
  *) echo "usage: $0 build|test|fuzz|package" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing missing packages: ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
