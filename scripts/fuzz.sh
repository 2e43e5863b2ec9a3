#!/usr/bin/env bash
# Fuzz the TOML parser with libFuzzer.
#   scripts/fuzz.sh              - run for 60 seconds (CI)
#   scripts/fuzz.sh 600          - run for 600 seconds
#   scripts/fuzz.sh -runs=N      - run exactly N executions
# Any further arguments go to libFuzzer (e.g. -jobs=1 -workers=1).
# Configures a clang build in build-fuzz/, seeds a fresh corpus from every
# .toml file of the toml-test suite (valid and invalid) and leaves crash
# reproducers in build-fuzz/fuzz-artifacts/. Set TOML_TEST_DIR to use a
# suite elsewhere.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
suite=${TOML_TEST_DIR:-$root/../shared/conformance/toml-test/tests}

limit=${1:-60}
case $limit in
  -runs=*) ;;
  ''|*[!0-9]*) echo "usage: $0 [seconds|-runs=N] [libFuzzer options...]" >&2; exit 2 ;;
  *) limit="-max_total_time=$limit" ;;
esac
if [ $# -gt 0 ]; then shift; fi

if [ ! -d "$suite" ]; then
  echo "fuzz.sh: toml-test suite not found at $suite (set TOML_TEST_DIR)" >&2
  exit 2
fi

"$root/scripts/deps.sh" fuzz
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGW_WERROR=ON \
  -DGW_FUZZ=ON -DGW_TESTS=ON >/dev/null
cmake --build "$build" --target fuzz_toml -j2

corpus=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-toml.XXXXXX")
trap 'rm -rf "$corpus"' EXIT
# Suite files share names across folders (array.toml, ...): flatten the
# relative path into the name.
(cd "$suite" && find . -name '*.toml' -type f) | while read -r f; do
  rel=${f#./}
  cp "$suite/$rel" "$corpus/${rel//\//_}"
done
echo "fuzz.sh: $(ls "$corpus" | wc -l) seeds from $suite"

mkdir -p "$build/fuzz-artifacts"
# With -jobs libFuzzer writes fuzz-<n>.log into the working directory.
cd "$build"
"$build/tests/fuzz_toml" "$limit" -dict="$root/tests/fuzz/toml.dict" \
  -artifact_prefix="$build/fuzz-artifacts/" -print_final_stats=1 "$@" "$corpus"
