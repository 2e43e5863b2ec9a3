#!/usr/bin/env bash
# Fuzz every target with libFuzzer under ASan and UBSan.
#   scripts/fuzz.sh                  - 60 seconds in all, split over the targets
#   scripts/fuzz.sh 150              - 150 seconds in all (CI)
#   scripts/fuzz.sh --runs 10000000  - that many executions of each target
#   scripts/fuzz.sh --only webhook 600
#                                    - only targets whose name contains "webhook"
#   scripts/fuzz.sh 60 -- -jobs=2    - anything after -- goes to libFuzzer
# A target is tests/fuzz/fuzz_<name>.c building the executable fuzz_<name>
# (tests/fuzz/CMakeLists.txt); every one found is built and run, so a new
# target joins without editing this script. Each starts from its seeds in
# tests/fuzz/corpus/fuzz_<name>/ (fuzz_toml also from the toml-test suite;
# set TOML_TEST_DIR to use a suite elsewhere) and from what earlier runs
# found, kept in build-fuzz/fuzz-corpus/<target>/; it uses the dictionary
# tests/fuzz/<name>.dict, or the one of the longest leading part of <name>
# that has one (twitter_webhook -> twitter.dict). Crash, leak and UBSan
# reproducers go to build-fuzz/fuzz-artifacts/, each run's output to
# build-fuzz/fuzz-logs/<target>.log. Prints the executions and exec/s of
# every target; exits 1 when any target found a problem. GW_FUZZ_BUILD
# names another build folder (two runs at once must not share one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GW_FUZZ_BUILD:-$root/build-fuzz}
suite=${TOML_TEST_DIR:-$root/../shared/conformance/toml-test/tests}

usage() {
  echo "usage: $0 [--only TEXT] [SECONDS | --runs N | -runs=N] [-- libFuzzer options...]" >&2
  exit 2
}
total=60
runs=
only=
while [ $# -gt 0 ]; do
  case $1 in
    --runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
    -runs=*) runs=${1#-runs=}; shift ;;
    --only) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
    --) shift; break ;;
    ''|*[!0-9]*) usage ;;
    *) total=$1; shift ;;
  esac
done
case $runs in *[!0-9]*) usage ;; esac

targets=()
for src in "$root"/tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  case $name in *"$only"*) targets+=("$name") ;; esac
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz.sh: no target matches \"$only\"" >&2
  exit 2
fi
if [ -n "$runs" ]; then
  limit="-runs=$runs"
else
  each=$((total / ${#targets[@]}))
  [ "$each" -ge 1 ] || each=1
  limit="-max_total_time=$each"
fi

"$root/scripts/deps.sh" fuzz
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGW_WERROR=ON \
  -DGW_FUZZ=ON -DGW_TESTS=ON >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}"

# The dictionary for target fuzz_<name>, or nothing.
dictionary() {
  local part=${1#fuzz_}
  while :; do
    if [ -f "$root/tests/fuzz/$part.dict" ]; then
      echo "-dict=$root/tests/fuzz/$part.dict"
      return
    fi
    case $part in *_*) part=${part%_*} ;; *) return ;; esac
  done
}

mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"
failed=()
summary=()
for t in "${targets[@]}"; do
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  seeds=()
  [ -d "$root/tests/fuzz/corpus/$t" ] && seeds+=("$root/tests/fuzz/corpus/$t")
  if [ "$t" = fuzz_toml ]; then
    if [ -d "$suite" ]; then
      # Suite files share names across folders (array.toml, ...): flatten
      # the relative path into the name.
      (cd "$suite" && find . -name '*.toml' -type f) | while read -r f; do
        rel=${f#./}
        cp "$suite/$rel" "$work/suite_${rel//\//_}"
      done
    else
      echo "fuzz.sh: toml-test suite not found at $suite (set TOML_TEST_DIR); fuzz_toml starts unseeded" >&2
    fi
  fi
  dict=$(dictionary "$t")
  log="$build/fuzz-logs/$t.log"
  echo "== $t ($limit${dict:+, ${dict#-dict=$root/}})"
  rc=0
  # New inputs go to the first folder; the seeds are only read. With -jobs
  # libFuzzer writes fuzz-<n>.log into the working directory.
  (cd "$build" && nice "$build/tests/$t" "$limit" ${dict:+"$dict"} -timeout=25 \
     -artifact_prefix="$build/fuzz-artifacts/$t-" -print_final_stats=1 "$@" \
     "$work" "${seeds[@]}") >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  line=$(printf '%-28s %12s execs %8s exec/s  %-10s corpus %s' "$t" "${execs:-?}" "${speed:-?}" \
         "${cov:-cov: ?}" "$(ls "$work" | wc -l)")
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    line="$line  FAILED (exit $rc, see $log)"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -8 >&2 || true
  fi
  echo "$line"
  summary+=("$line")
done

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: problems found by: ${failed[*]} (reproducers in $build/fuzz-artifacts/)" >&2
  exit 1
fi
