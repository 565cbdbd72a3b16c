#!/usr/bin/env bash
# Watch ingestion: 100,000 pod events (from the recorded kube-apiserver 1.20
# pod watch) decoded into a list/watch cache on one core. Target: at least
# 50,000 events/s with the dashboard's real projection (kube_obj from the
# tokens: every column kubectl prints). Also shown, one run each: a slim
# pod projection from the tokens, and both projections through a jansson
# tree, with each rate as a ratio of the token one.
# Builds tests/bench/watch_ingest.c against the library.
# env: BUILD (default build), TOP (repo root).
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
cd "$TOP"
make -s "$BUILD/libpodium.a"
export PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-}:/usr/lib/x86_64-linux-gnu/openblas-pthread/pkgconfig:/usr/lib/aarch64-linux-gnu/openblas-pthread/pkgconfig
PKGS="ncursesw libcurl yaml-0.1 jansson openblas libmicrohttpd zlib gnutls"
mkdir -p "$BUILD/bench"
cc -std=c11 -O2 -I. $(pkg-config --cflags $PKGS) -o "$BUILD/bench/watch_ingest" \
	tests/bench/watch_ingest.c "$BUILD/libpodium.a" $(pkg-config --libs $PKGS) -lm -lpthread
FIX=tests/data/kube/fixtures/watch-pods-scaling.json
run() { # mode: prints the line, then "RATE" on the last line
	local out
	out=$(taskset -c 0 "$BUILD/bench/watch_ingest" "$FIX" 100000 "$1" 2>&1 ||
		"$BUILD/bench/watch_ingest" "$FIX" 100000 "$1")
	echo "$out" >&2
	echo "$out" | sed -n 's/.*: \([0-9]*\) events\/s.*/\1/p'
}
kobj=$(run kobj)
kobj_json=$(run kobj-json)
slim=$(run slim)
slim_json=$(run json)
awk -v a="$kobj" -v b="$kobj_json" -v c="$slim" -v d="$slim_json" 'BEGIN {
	printf "dashboard projection: tokens/jansson %.2f; slim: tokens/jansson %.2f; dashboard/slim (tokens) %.2f\n", a / b, c / d, a / c
}'
if [ -n "$kobj" ] && [ "$kobj" -ge 50000 ]; then
	echo "watch ingest (dashboard projection): $kobj events/s >= 50000 target: ok"
else
	echo "watch ingest (dashboard projection): ${kobj:-?} events/s is below the 50000 target"
	exit 1
fi
