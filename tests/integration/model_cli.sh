#!/usr/bin/env bash
# podium model on the command line, on a Fashion-MNIST subset: train,
# eval, predict, compare (itself: 100% and exit 0; another seed below
# --min-agreement: exit 1), info, and bad files (exit 1, one line).
set -u
D=/usr/share/datasets/fashion-mnist
T=${PODIUM_TEST_TMP:-/tmp}/model_cli.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
[ -f "$D/train-images-idx3-ubyte.gz" ] || { echo "no Fashion-MNIST in $D"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
# One line on stderr, starting "podium: ", and the expected exit status.
expect_error() { # status, want-in-message, command...
	local want_rc=$1 want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	[ $rc -eq "$want_rc" ] || fail "exit $rc (want $want_rc): $*: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "not one line: $*: $(cat "$T/err")"
	grep -q "^podium: .*$want" "$T/err" || fail "message for $*: $(cat "$T/err") (want $want)"
}

"$PODIUM" model train --limit 2000 --epochs 1 --threads 1 --seed 1 -o "$T/a.st" >"$T/train" 2>&1 ||
	fail "train: $(cat "$T/train")"
grep -q '^epoch 1/1: loss' "$T/train" || fail "no epoch line: $(cat "$T/train")"
grep -q "^saved $T/a.st (sha256 [0-9a-f]\{64\})" "$T/train" || fail "no saved line"
# Same seed, same threads: the same file, bit for bit.
"$PODIUM" model train --limit 2000 --epochs 1 --threads 1 --seed 1 -o "$T/a2.st" >/dev/null 2>&1 ||
	fail "train again"
cmp -s "$T/a.st" "$T/a2.st" || fail "same seed gave a different model"
"$PODIUM" model train --limit 2000 --epochs 1 --threads 1 --seed 2 -o "$T/b.st" >/dev/null 2>&1 ||
	fail "train seed 2"

"$PODIUM" model eval "$T/a.st" --limit 1000 --threads 1 >"$T/eval" || fail "eval"
acc=$(sed -n 's/^accuracy  \([0-9.]*\)%.*/\1/p' "$T/eval")
[ -n "$acc" ] || fail "no accuracy: $(cat "$T/eval")"
awk "BEGIN{exit !($acc > 50)}" || fail "accuracy $acc% after an epoch on 2000 images"
grep -q 'Ankle boot' "$T/eval" || fail "class names"
"$PODIUM" model eval "$T/a.st" --limit 100 -o json >"$T/eval.json" || fail "eval json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['images']==100 and len(d['confusion'])==10 and sum(map(sum,d['confusion']))==100" "$T/eval.json" ||
	fail "eval json: $(head -c 300 "$T/eval.json")"

LC_ALL=C "$PODIUM" model predict "$T/a.st" --images "$D/t10k-images-idx3-ubyte.gz" --index 0 \
	--top 3 >"$T/pred" || fail "predict"
[ "$(grep -c '^  [123]\. ' "$T/pred")" -eq 3 ] || fail "top 3: $(cat "$T/pred")"
grep -q '[=+*#%@]' "$T/pred" || fail "no ASCII drawing in the C locale"
LC_ALL=C grep -q '[^ -~]' "$T/pred" && fail "non-ASCII output in the C locale"
"$PODIUM" model predict "$T/a.st" --images "$D/t10k-images-idx3-ubyte.gz" --range 10:15 >"$T/range" ||
	fail "predict range"
[ "$(wc -l <"$T/range")" -eq 5 ] || fail "range 10:15 is 5 lines: $(cat "$T/range")"
# A PGM made from image 0 predicts what image 0 predicts.
python3 - "$D/t10k-images-idx3-ubyte.gz" "$T/img0.pgm" <<'PY' || fail "make pgm"
import gzip, sys
raw = gzip.open(sys.argv[1]).read()
open(sys.argv[2], "wb").write(b"P5\n28 28\n255\n" + raw[16:16 + 784])
PY
"$PODIUM" model predict "$T/a.st" --pgm "$T/img0.pgm" --top 1 -o json >"$T/pgm.json" || fail "predict pgm"
"$PODIUM" model predict "$T/a.st" --images "$D/t10k-images-idx3-ubyte.gz" --index 0 --top 1 -o json >"$T/idx.json"
python3 -c "import json,sys; a=json.load(open(sys.argv[1]))[0]; b=json.load(open(sys.argv[2]))[0]; assert a['probabilities']==b['probabilities']" "$T/pgm.json" "$T/idx.json" ||
	fail "PGM and IDX predictions differ"

"$PODIUM" model compare "$T/a.st" "$T/a.st" --limit 500 --min-agreement 1 >"$T/cmp" ||
	fail "compare with itself: exit $?"
grep -q '^agreement  100.00% (500/500)' "$T/cmp" || fail "self agreement: $(cat "$T/cmp")"
"$PODIUM" model compare "$T/a.st" "$T/b.st" --limit 500 --min-agreement 0.999 >"$T/cmp2" 2>"$T/err"
[ $? -eq 1 ] || fail "two seeds at --min-agreement 0.999 must exit 1"
grep -q 'below --min-agreement' "$T/err" || fail "no agreement message: $(cat "$T/err")"
# --min-agreement reads a percentage or a fraction the same way in
# model compare and rollout model: 99.9, 99.9% and 0.999 are one threshold.
for x in 99.9 99.9% 0.999; do
	"$PODIUM" model compare "$T/a.st" "$T/b.st" --limit 500 --min-agreement $x >/dev/null 2>"$T/err"
	[ $? -eq 1 ] || fail "two seeds at --min-agreement $x must exit 1"
	grep -q 'below --min-agreement 99.90%' "$T/err" || fail "--min-agreement $x: $(cat "$T/err")"
done
"$PODIUM" model compare "$T/a.st" "$T/a.st" --limit 100 --min-agreement 100% >/dev/null ||
	fail "self compare at 100%"
"$PODIUM" model compare "$T/a.st" "$T/b.st" --limit 100 --min-agreement 1% >/dev/null ||
	fail "two seeds at 1% must pass"
for x in -1 101 100.5% 1e2 abc ""; do
	for cmd in "model compare $T/a.st $T/b.st" "rollout model m --image r:1 --model $T/a.st"; do
		"$PODIUM" $cmd --min-agreement "$x" >/dev/null 2>"$T/err"
		[ $? -eq 2 ] || fail "$cmd --min-agreement '$x' must be a usage error"
		[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^podium: --min-agreement takes a percentage" "$T/err" ||
			fail "$cmd --min-agreement '$x': $(cat "$T/err")"
	done
done
grep -q '^disagree on [1-9]' "$T/cmp2" || fail "no disagreements listed"
"$PODIUM" model compare "$T/a.st" "$T/b.st" --limit 200 -o json >"$T/cmp.json" || fail "compare json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['images']==200 and len(d['disagree'])==200-d['agree'] and len(d['largest_differences'])==10" "$T/cmp.json" ||
	fail "compare json"

"$PODIUM" model info "$T/a.st" >"$T/info" || fail "info"
grep -q '^parameters  347146' "$T/info" || fail "parameter count: $(cat "$T/info")"
grep -q "^sha256      $(sha256sum "$T/a.st" | cut -d' ' -f1)" "$T/info" || fail "checksum differs from sha256sum"
grep -q 'dense      fc1       \[64\]' "$T/info" || fail "layers"

# Another architecture from a file trains, saves and loads.
cat >"$T/arch.json" <<'JSON'
{"input_shape": [1, 28, 28], "layers": [
 {"type": "conv2d", "name": "c1", "filters": 4, "kernel": [5, 5], "stride": 2},
 {"type": "relu"}, {"type": "flatten"},
 {"type": "dense", "name": "out", "units": 10}, {"type": "softmax"}]}
JSON
"$PODIUM" model train --arch "$T/arch.json" --limit 500 --epochs 1 --threads 1 -o "$T/small.st" >/dev/null 2>&1 ||
	fail "train with --arch FILE"
"$PODIUM" model info "$T/small.st" >"$T/sinfo" || fail "info small"
grep -q 'conv2d     c1        \[4,12,12\]' "$T/sinfo" || fail "small arch layers: $(cat "$T/sinfo")"
grep -q '^parameters  5874$' "$T/sinfo" || fail "small arch parameter count: $(grep parameters "$T/sinfo")"
expect_error 1 "no such file, and not a known architecture" "$PODIUM" model train --arch nope --limit 10 -o "$T/x.st"

# Ctrl-C during training keeps the last finished epoch.
"$PODIUM" model train --limit 3000 --epochs 200 --threads 1 -o "$T/int.st" >"$T/int.out" 2>"$T/int.err" &
pid=$!
for _ in $(seq 600); do
	grep -q '^epoch 2/200' "$T/int.out" && break
	sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 1 ] || fail "interrupted training exits 1, not $rc"
kept=$(sed -n 's/.*interrupted in epoch [0-9]*: kept epoch \([0-9]*\) in .*/\1/p' "$T/int.err")
[ -n "$kept" ] || fail "no kept-epoch message: $(cat "$T/int.err")"
"$PODIUM" model info "$T/int.st" | grep -q "\"epochs\":$kept," || fail "saved model is not epoch $kept"

# Bad input: exit 1 and one line naming the fault.
printf 'not a model at all' >"$T/junk.st"
expect_error 1 "not a safetensors file" "$PODIUM" model info "$T/junk.st"
expect_error 1 "cannot open" "$PODIUM" model info "$T/missing.st"
head -c 1000 "$T/a.st" >"$T/cut.st"
expect_error 1 "cut.st: not a safetensors file (header length" "$PODIUM" model eval "$T/cut.st" --limit 10
head -c 100 "$D/t10k-images-idx3-ubyte.gz" >"$T/cut.gz"
expect_error 1 "truncated gzip data" "$PODIUM" model predict "$T/a.st" --images "$T/cut.gz" --index 0
expect_error 1 "holds 10000 images" "$PODIUM" model predict "$T/a.st" --images "$D/t10k-images-idx3-ubyte.gz" --index 10000
printf 'P5 27 28 255\n' >"$T/small.pgm"
expect_error 1 "image is 27x28; the model takes 28x28" "$PODIUM" model predict "$T/a.st" --pgm "$T/small.pgm"
expect_error 1 "no t10k-images-idx3-ubyte" "$PODIUM" model eval "$T/a.st" --data "$T"
expect_error 2 "train needs -o MODEL" "$PODIUM" model train --limit 10
expect_error 2 "unknown model subcommand" "$PODIUM" model fly
expect_error 2 "--range must be A:B" "$PODIUM" model predict "$T/a.st" --images x --range 5:2
echo "PASS"
