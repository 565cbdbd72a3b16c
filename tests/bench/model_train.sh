#!/usr/bin/env bash
# The engine against PyTorch (Debian's python3-torch) on the reference
# network and Fashion-MNIST, in one run, side by side:
#   training images/s over full epochs, 1 and 2 threads (batch 64, Adam);
#   test accuracy after MODEL_BENCH_EPOCHS epochs (default 5) on 2 threads;
#   single-image latency (median) and batch-256 throughput, 1 and 2 threads;
#   OpenBLAS's own sgemm peak and the share of it training reaches;
#   peak memory (ru_maxrss) of training on the full set.
# Run by tests/bench/run-benches.sh (make bench); takes a few minutes.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
cd "$TOP"
DATA=/usr/share/datasets/fashion-mnist
EPOCHS=${MODEL_BENCH_EPOCHS:-5}
[ -f "$DATA/train-images-idx3-ubyte.gz" ] || { echo "no Fashion-MNIST at $DATA"; exit 77; }
[ -f "$BUILD/libpodium.a" ] || { echo "no $BUILD/libpodium.a: run make first"; exit 1; }

# The bench program links the library like the tests do.
export PKG_CONFIG_PATH=${PKG_CONFIG_PATH:-}:/usr/lib/x86_64-linux-gnu/openblas-pthread/pkgconfig:/usr/lib/aarch64-linux-gnu/openblas-pthread/pkgconfig
BIN="$BUILD/bench/model_bench"
mkdir -p "$BUILD/bench"
${CC:-cc} -std=c11 -O2 -g -I. $(pkg-config --cflags jansson openblas zlib) \
	-o "$BIN" tests/bench/model_bench.c "$BUILD/libpodium.a" \
	$(pkg-config --libs jansson openblas zlib) -lm -lpthread || exit 1

TORCH=1
/usr/bin/python3 -c 'import torch' 2>/dev/null || { TORCH=0; echo "(python3-torch missing: PyTorch columns empty)"; }
OUT=$(mktemp -d /tmp/podium-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

podium() { "$BIN" "$@"; }
torch() { [ $TORCH = 1 ] && /usr/bin/python3 tests/bench/model_torch.py "$@"; }
val() { awk -v k="$2" '$1 == k { print $2 }' "$OUT/$1" 2>/dev/null | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf (a / b < 0.1 ? "%.3fx" : "%.2fx"), a / b; else print "-" }'; }

echo "training: 1 epoch on 1 thread, then $EPOCHS epochs on 2 threads (Fashion-MNIST, 60000 images)"
podium train 1 1 >"$OUT/p1" || exit 1
torch train 1 1 >"$OUT/t1"
podium train 2 "$EPOCHS" >"$OUT/p2" || exit 1
torch train 2 "$EPOCHS" >"$OUT/t2"
for t in 1 2; do
	podium infer $t >"$OUT/pi$t" || exit 1
	torch infer $t >"$OUT/ti$t"
	podium sgemm $t >"$OUT/s$t" || exit 1
done

printf '\n%-34s %12s %12s %9s\n' "" podium pytorch ratio
row() { printf '%-34s %12s %12s %9s\n' "$1" "${2:--}" "${3:--}" "$4"; }
for t in 1 2; do
	p=$(val p$t train_ips) q=$(val t$t train_ips)
	row "train images/s, $t thread(s)" "$p" "$q" "$(ratio "$p" "$q")"
done
for t in 1 2; do
	p=$(val pi$t latency_us) q=$(val ti$t latency_us)
	row "1-image latency us, $t thread(s)" "$p" "$q" "$(ratio "$p" "$q")"
done
for t in 1 2; do
	p=$(val pi$t batch256_ips) q=$(val ti$t batch256_ips)
	row "batch-256 images/s, $t thread(s)" "$p" "$q" "$(ratio "$p" "$q")"
done
p=$(val p2 test_acc) q=$(val t2 test_acc)
row "test accuracy % after $EPOCHS epochs" "$p" "$q" ""
p=$(val p2 train_maxrss_mb) q=$(val t2 train_maxrss_mb)
row "peak memory MB (training)" "$p" "$q" ""
echo
for t in 1 2; do
	g=$(val p$t train_gflops) s=$(val s$t sgemm_gflops)
	printf 'OpenBLAS sgemm peak, %d thread(s): %s GFLOP/s; training reaches %s GFLOP/s (%s of it)\n' \
		"$t" "$s" "$g" "$(awk -v a="$g" -v b="$s" 'BEGIN { printf "%.0f%%", 100 * a / b }')"
done
echo "(latency ratio: podium/pytorch, lower is better; the rest: higher is better)"
# The fused conv block's kernels in each instruction set this CPU runs
# (training uses the best): us per image, the best of 300 passes.
podium fused 300 >"$OUT/f" || exit 1
for isa in base avx2 avx512; do
	f=$(val f fused_${isa}_fwd_us) g=$(val f fused_${isa}_bwd_us)
	if [ -n "$f" ]; then
		printf 'fused conv block, %s build: forward %s us, backward %s us per image\n' "$isa" "$f" "$g"
	fi
done
