#!/usr/bin/env bash
# Runs every test against the build in $1 (default build): the cmocka unit
# programs, then tests/integration/*.sh and tests/e2e/*.sh, each of which
# gets PODIUM (the binary), BUILD and TOP in its environment and exits 0 on
# success, 77 when skipped. Prints "N passed, N failed, N skipped" last.
set -u
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
export TOP BUILD PODIUM="$TOP/$BUILD/podium"
export PODIUM_TEST_TMP=${PODIUM_TEST_TMP:-$(mktemp -d /tmp/podium-test.XXXXXX)}
# ASan: leaks are failures; UBSan already aborts (-fno-sanitize-recover).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
passed=0 failed=0 skipped=0 failures=()
LOGDIR="$TOP/$BUILD/test-logs"
mkdir -p "$LOGDIR"

run_one() { # name, command...
	local name=$1; shift
	local log="$LOGDIR/$(echo "$name" | tr '/' '_').log"
	local start=$(date +%s.%N)
	"$@" >"$log" 2>&1
	local rc=$?
	local secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo 0)")
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); echo "PASS $name (${secs}s)"
	elif [ $rc -eq 77 ]; then
		skipped=$((skipped + 1)); echo "SKIP $name: $(tail -1 "$log")"
	else
		failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name (exit $rc)"
		tail -30 "$log" | sed 's/^/    /'
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.d) continue ;; esac
	run_one "unit/$(basename "$t")" "$t"
done
for t in tests/integration/*.sh tests/e2e/*.sh; do
	[ -f "$t" ] || continue
	run_one "${t#tests/}" bash "$t"
done
rm -rf "$PODIUM_TEST_TMP"
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
