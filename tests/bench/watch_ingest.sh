#!/usr/bin/env bash
# Watch ingestion: 100,000 pod events (from the recorded kube-apiserver 1.20
# pod watch) decoded into a list/watch cache on one core. Target: at least
# 50,000 events/s. Builds tests/bench/watch_ingest.c against the library.
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
out=$(taskset -c 0 "$BUILD/bench/watch_ingest" "$FIX" 100000 2>&1 || "$BUILD/bench/watch_ingest" "$FIX" 100000)
echo "$out"
rate=$(echo "$out" | sed -n 's/.*: \([0-9]*\) events\/s.*/\1/p')
"$BUILD/bench/watch_ingest" "$FIX" 100000 json
if [ -n "$rate" ] && [ "$rate" -ge 50000 ]; then
	echo "watch ingest: $rate events/s >= 50000 target: ok"
else
	echo "watch ingest: ${rate:-?} events/s is below the 50000 target"
	exit 1
fi
