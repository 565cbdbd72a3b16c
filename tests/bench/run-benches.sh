#!/usr/bin/env bash
# Runs every benchmark, tests/bench/*.sh, against the build in $1 (default
# build). Each gets TOP (repo root), BUILD and PODIUM (the binary) in its
# environment, prints its own figures, and exits 0 when done, 77 when it
# cannot run here (a missing data set or peer), anything else on failure.
set -u
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
export TOP BUILD PODIUM="$TOP/$BUILD/podium"
failed=()
for b in tests/bench/*.sh; do
	[ "$(basename "$b")" = run-benches.sh ] && continue
	echo "==== ${b#tests/bench/}"
	bash "$b"
	rc=$?
	case $rc in
	0) ;;
	77) echo "(skipped)" ;;
	*) echo "FAILED (exit $rc)"; failed+=("$b") ;;
	esac
	echo
done
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
