#!/usr/bin/env bash
# The model server over loopback: requests/s and min/p50/p99 latency for
# single-image and batch-64 v2 infer requests (tests/bench/serve_load.c, a
# raw-socket keep-alive client with a warm-up), against the same requests
# handled in process (parse + forward + reply) and the engine's forward pass
# alone. The server's threads run on CPU 0; the single-image latency is
# measured with the client on CPU 1 (the other core) and on CPU 0 (the same
# core: a wake-up is a context switch, not a cross-CPU one). The target:
# HTTP and JSON add at most 50% to a single-image request's time over the
# forward pass. Run by tests/bench/run-benches.sh (make bench); takes about
# half a minute. SERVE_BENCH_SECONDS sets each run's length.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
PODIUM=${PODIUM:-$TOP/$BUILD/podium}
SECS=${SERVE_BENCH_SECONDS:-2}
cd "$TOP"
DATA=/usr/share/datasets/fashion-mnist
[ -f "$DATA/t10k-images-idx3-ubyte.gz" ] || { echo "no Fashion-MNIST at $DATA"; exit 77; }
command -v python3 >/dev/null || { echo "no python3"; exit 77; }

export PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-}:/usr/lib/x86_64-linux-gnu/openblas-pthread/pkgconfig:/usr/lib/aarch64-linux-gnu/openblas-pthread/pkgconfig
BIN="$BUILD/bench/serve_load"
mkdir -p "$BUILD/bench"
${CC:-cc} -std=c11 -O2 -g -I. $(pkg-config --cflags jansson openblas zlib) \
	-o "$BIN" tests/bench/serve_load.c "$BUILD/libpodium.a" \
	$(pkg-config --libs ncursesw libcurl yaml-0.1 jansson openblas libmicrohttpd zlib) -lm -lpthread || exit 1

OUT=$(mktemp -d /tmp/podium-bench.XXXXXX)
SPID=
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; rm -rf "$OUT"' EXIT
"$PODIUM" model train --data $DATA --limit 4096 --epochs 1 -o "$OUT/m.safetensors" >/dev/null 2>&1 || exit 1
mkdir -p "$OUT/b1" "$OUT/b64"
python3 tests/integration/serve_bodies.py $DATA/t10k-images-idx3-ubyte.gz 1 "$OUT/b1" || exit 1
python3 tests/integration/serve_bodies.py $DATA/t10k-images-idx3-ubyte.gz 64 "$OUT/b64" || exit 1

val() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

NCPU=$(nproc)
SRV_CPU=0
OTHER_CPU=$((NCPU > 1 ? 1 : 0))
start() { # threads
	taskset -c $SRV_CPU "$PODIUM" serve "$OUT/m.safetensors" --name m --listen 127.0.0.1 --port 0 \
		--threads "$1" 2>"$OUT/log" >/dev/null &
	SPID=$!
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$OUT/log")
		[ -n "$PORT" ] && return 0
		sleep 0.1
	done
	echo "server did not start: $(cat "$OUT/log")"; exit 1
}
stop() { kill -TERM $SPID; wait $SPID; SPID=; }
client() { # cpu out path body conns images
	taskset -c "$1" "$BIN" http $PORT "$3" "$4" "$5" $SECS "$6" >"$2" || { cat "$2"; exit 1; }
}

echo "in process (1 BLAS thread, CPU $OTHER_CPU): parse + forward + reply of the same v2 bodies"
printf '  %-10s %10s %10s %10s %10s %12s %12s\n' request fwd_min_us fwd_p50_us parse_us reply_us total_min_us total_p50_us
for b in 1 64; do
	taskset -c $OTHER_CPU "$BIN" local "$OUT/m.safetensors" "$OUT/b$b/v2_u8.json" $b 1 >"$OUT/local$b" || exit 1
	printf '  %-10s %10s %10s %10s %10s %12s %12s\n' "$b image(s)" "$(val "$OUT/local$b" forward_min_us)" \
		"$(val "$OUT/local$b" forward_us)" "$(val "$OUT/local$b" parse_us)" "$(val "$OUT/local$b" reply_us)" \
		"$(val "$OUT/local$b" in_process_min_us)" "$(val "$OUT/local$b" in_process_us)"
done
echo
echo "one keep-alive connection, server --threads 1 on CPU $SRV_CPU, ${SECS}s per row after a warm-up"
printf '  %-10s %-9s %8s %8s %8s %8s\n' client request req/s min_us p50_us p99_us
start 1
for cpu in $OTHER_CPU $SRV_CPU; do
	where=$([ $cpu = $SRV_CPU ] && echo "same CPU" || echo "other CPU")
	client $cpu "$OUT/live.$cpu" /v2/health/live - 1 1
	client $cpu "$OUT/one.$cpu" /v2/models/m/infer "$OUT/b1/v2_u8.json" 1 1
	for r in live one; do
		printf '  %-10s %-9s %8s %8s %8s %8s\n' "$where" "$([ $r = live ] && echo 'GET live' || echo '1 img')" \
			"$(val "$OUT/$r.$cpu" rps)" "$(val "$OUT/$r.$cpu" min_us)" "$(val "$OUT/$r.$cpu" p50_us)" \
			"$(val "$OUT/$r.$cpu" p99_us)"
	done
	[ $OTHER_CPU = $SRV_CPU ] && break
done
stop
echo
echo "throughput, client unpinned (UINT8 bodies: $(wc -c <"$OUT/b1/v2_u8.json") and $(wc -c <"$OUT/b64/v2_u8.json") bytes)"
printf '  %-8s %-9s %6s %10s %12s %10s %10s %14s\n' threads request conns req/s images/s p50_us p99_us us/image@p50
for threads in 1 2; do
	start $threads
	for spec in "1 4" "64 1" "64 2"; do
		set -- $spec
		"$BIN" http $PORT /v2/models/m/infer "$OUT/b$1/v2_u8.json" $2 $SECS $1 >"$OUT/h" || { cat "$OUT/h"; exit 1; }
		printf '  %-8s %-9s %6s %10s %12s %10s %10s %14s\n' $threads "$1 img" $2 "$(val "$OUT/h" rps)" \
			"$(val "$OUT/h" images_per_s)" "$(val "$OUT/h" p50_us)" "$(val "$OUT/h" p99_us)" \
			"$(awk -v p="$(val "$OUT/h" p50_us)" -v n=$1 'BEGIN { printf "%.1f", p / n }')"
		cp "$OUT/h" "$OUT/h.$threads.$1.$2"
	done
	stop
done
echo
awk -v f="$(val "$OUT/local1" forward_us)" -v ip="$(val "$OUT/local1" in_process_us)" \
	-v ho="$(val "$OUT/one.$OTHER_CPU" p50_us)" -v hs="$(val "$OUT/one.$SRV_CPU" p50_us)" \
	-v lo="$(val "$OUT/live.$OTHER_CPU" p50_us)" -v ls="$(val "$OUT/live.$SRV_CPU" p50_us)" \
	-v f64="$(val "$OUT/local64" forward_us)" -v h64="$(val "$OUT/h.1.64.1" p50_us)" 'BEGIN {
	printf "single image, p50: forward %.1f us, in process (parse + forward + reply) %.1f us\n", f, ip
	printf "  over HTTP, client on the other CPU: %.1f us: HTTP + JSON add %.0f%% to the forward pass (target <= 50%%), %.0f%% to in process\n", ho, (ho - f) / f * 100, (ho - ip) / ip * 100
	printf "  over HTTP, client on the same CPU:  %.1f us: HTTP + JSON add %.0f%% to the forward pass, %.0f%% to in process\n", hs, (hs - f) / f * 100, (hs - ip) / ip * 100
	printf "  a bare HTTP round trip (GET /v2/health/live p50): %.1f us other CPU, %.1f us same CPU\n", lo, ls
	printf "batch of 64: forward %.1f us/image, HTTP request p50 %.1f us/image: HTTP + JSON add %.0f%%\n", f64 / 64, h64 / 64, (h64 - f64) / f64 * 100
}'
