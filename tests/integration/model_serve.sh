#!/usr/bin/env bash
# model_serve.sh - `podium serve` end to end over loopback: every endpoint,
# /infer and :predict answers against the engine's in-process predictions,
# bad requests (400 with the message), 404 and 405, concurrent clients,
# /metrics, and a graceful stop on SIGTERM that finishes a request in
# flight. The model comes from a short `podium model train`, and the
# answers are checked against `podium model predict`.
set -u
T=$PODIUM_TEST_TMP/model_serve
mkdir -p "$T"
[ -d /usr/share/datasets/fashion-mnist ] || { echo "no Fashion-MNIST data set"; exit 77; }
command -v curl >/dev/null || { echo "no curl"; exit 77; }
command -v python3 >/dev/null || { echo "no python3"; exit 77; }

SPID=
fail() { echo "FAIL: $*"; [ -f "$T/log" ] && sed 's/^/  server: /' "$T/log"; exit 1; }
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null' EXIT

# A small model trained by podium, the first test images as request
# bodies, and what `podium model predict` says about them.
DATA=/usr/share/datasets/fashion-mnist
"$PODIUM" model train --data $DATA --limit 2048 --epochs 1 -o "$T/fashion.safetensors" \
	>"$T/train.log" 2>&1 || { cat "$T/train.log"; fail "podium model train"; }
"$PODIUM" model predict "$T/fashion.safetensors" --images $DATA/t10k-images-idx3-ubyte.gz \
	--range 0:8 -o json >"$T/expected.json" || fail "podium model predict"
python3 "$TOP/tests/integration/serve_bodies.py" $DATA/t10k-images-idx3-ubyte.gz 8 "$T" \
	|| fail "cannot write request bodies"

start() { # extra options...
	"$PODIUM" serve "$T/fashion.safetensors" --listen 127.0.0.1 --port 0 "$@" 2>"$T/log" >/dev/null &
	SPID=$!
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$T/log")
		[ -n "$PORT" ] && break
		kill -0 $SPID 2>/dev/null || fail "server exited before listening"
		sleep 0.1
	done
	[ -n "$PORT" ] || fail "no 'listening on' line"
	URL=http://127.0.0.1:$PORT
}

# get PATH [curl options...]: body to $T/body, status to $CODE
req() {
	local path=$1; shift
	CODE=$(curl -s -o "$T/body" -w '%{http_code}' "$@" "$URL$path") || fail "curl $path failed"
}

expect() { # status, substring of the body, description
	[ "$CODE" = "$1" ] || fail "$3: status $CODE, wanted $1: $(head -c 300 "$T/body")"
	grep -qF -- "$2" "$T/body" || fail "$3: body lacks '$2': $(head -c 300 "$T/body")"
}

start --threads 2 --max-batch 16 --name fashion
grep -q "model fashion version [0-9a-f]\{12\}, 2 threads, max batch 16" "$T/log" || fail "start line: $(cat "$T/log")"
SHA=$(sha256sum "$T/fashion.safetensors" | cut -c1-64)
VER=${SHA:0:12}

# --- health and metadata
req /v2/health/live; expect 200 '{"live":true}' live
req /v2/health/ready; expect 200 '{"ready":true}' ready
req /v2; expect 200 '"extensions":[]' "server metadata"
grep -qF '"name":"podium"' "$T/body" || fail "server metadata name"
req /v2/models/fashion; expect 200 '"inputs":[{"name":"input","datatype":"FP32","shape":[-1,1,28,28]}]' "model metadata"
grep -qF "\"versions\":[\"$VER\"]" "$T/body" || fail "model metadata version"
grep -qF '{"name":"probabilities","datatype":"FP32","shape":[-1,10]}' "$T/body" || fail "metadata outputs"
req /v2/models/fashion/ready; expect 200 '"ready":true' "model ready"
req /v2/models/fashion/versions/$VER/ready; expect 200 '"ready":true' "versioned ready"
req /v1/models/fashion; expect 200 '"ready":true' "v1 status"
grep -qF '"state":"AVAILABLE"' "$T/body" || fail "v1 status state"
req /v1/models; expect 200 '{"models":["fashion"]}' "v1 list"
req /v2/health/live -I; [ "$CODE" = 200 ] || fail "HEAD live: $CODE"

# --- inference against the engine's in-process probabilities
check_probs() { # kind (v2|v1), n
	python3 - "$T/body" "$T/expected.json" "$1" "$2" <<'EOF' || fail "$1 answer differs from podium model predict"
import json, sys
body, exp, kind, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
r = json.load(open(body))
want = [p["probabilities"] for p in json.load(open(exp))][:n]
if kind == "v2":
    out = {o["name"]: o for o in r["outputs"]}
    p = out["probabilities"]
    assert p["datatype"] == "FP32" and p["shape"] == [n, 10], p["shape"]
    got = [p["data"][i*10:(i+1)*10] for i in range(n)]
    lab = out["label"]
    assert lab["datatype"] == "INT64" and lab["shape"] == [n]
    assert lab["data"] == [max(range(10), key=lambda c: w[c]) for w in want], lab["data"]
else:
    got = r["predictions"]
assert len(got) == n
worst = max(abs(a - b) for g, w in zip(got, want) for a, b in zip(g, w))
assert worst < 1e-5, "largest difference %g" % worst
EOF
}
req /v2/models/fashion/infer -X POST --data-binary @"$T/v2_u8.json"; expect 200 '"id":"u8"' "infer UINT8"
grep -qF "\"model_name\":\"fashion\",\"model_version\":\"$VER\"" "$T/body" || fail "infer model name/version"
check_probs v2 8
req /v2/models/fashion/infer -X POST --data-binary @"$T/v2_fp32.json"; expect 200 '"id":"fp32"' "infer FP32"
check_probs v2 8
req /v2/models/fashion/versions/$VER/infer -X POST --data-binary @"$T/v2_fp32.json"; expect 200 '"id":"fp32"' "versioned infer"
req /v1/models/fashion:predict -X POST --data-binary @"$T/v1.json"; expect 200 '"predictions":[[' "v1 predict"
check_probs v1 8
# only the label, when asked for
sed 's/}]}$/}],"outputs":[{"name":"label"}]}/' "$T/v2_u8.json" >"$T/label_only.json"
req /v2/models/fashion/infer -X POST --data-binary @"$T/label_only.json"; expect 200 '"outputs":[{"name":"label","datatype":"INT64","shape":[8]' "label only"
grep -q probabilities "$T/body" && fail "label-only answer has probabilities"

# --- bad requests
bad() { # path, body, status, message
	printf '%s' "$2" >"$T/bad.json"
	req "$1" -X POST --data-binary @"$T/bad.json"
	expect "$3" "$4" "bad request $2"
	grep -q '^{"error":"' "$T/body" || fail "no error object: $(cat "$T/body")"
}
I=/v2/models/fashion/infer
bad $I 'not json' 400 'not JSON'
bad $I '{"inputs":[{"name":"x","shape":[1,27,28],"datatype":"FP32","data":[1]}]}' 400 \
	'shape [1,27,28] does not fit the model'"'"'s input [1,28,28]: use [N,1,28,28], [N,28,28,1], [N,28,28] or [N,784]'
bad $I '{"inputs":[{"name":"x","shape":[1,784],"datatype":"INT32","data":[1]}]}' 400 'datatype \"INT32\" is not supported'
bad $I '{"inputs":[{"name":"x","shape":[17,784],"datatype":"FP32","data":[]}]}' 400 'batch of 17 images is over --max-batch 16'
bad $I '{"inputs":[{"name":"x","shape":[1,784],"datatype":"FP32","data":[1,2,3]}]}' 400 'data has 3 values but shape [1,784] needs 784'
bad $I '{"inputs":[{"name":"x","shape":[1,784],"datatype":"FP32","data":[NaN]}]}' 400 'NaN at element 0'
bad /v1/models/fashion:predict '{"instances":[[1,2]]}' 400 'instance shape [2] does not fit'
bad /v2/models/other/infer '{}' 404 'model \"other\" not found'
bad /v2/models/fashion/versions/nope/infer '{}' 404 'has no version \"nope\"'
bad /v2/nothing '{}' 404 'no such endpoint'
# over the body limit: declared, and sent chunked without a length
LIMIT=$(sed -n 's/.*body limit \([0-9]*\) bytes.*/\1/p' "$T/log")
head -c $((LIMIT + 10)) /dev/zero | tr '\0' ' ' >"$T/big.json"
req $I -X POST --data-binary @"$T/big.json"; expect 400 "request body is over the limit of $LIMIT bytes" "big body"
req $I -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.json"; expect 400 "over the limit of $LIMIT bytes" "big chunked body"
# wrong method
req $I; expect 405 'method GET not allowed: use POST' "GET infer"
curl -s -D - -o /dev/null -X DELETE "$URL/v2/health/live" | grep -qi '^Allow: GET, HEAD' || fail "405 lacks Allow"

# --- a second server on the same port is refused, not silently shared
"$PODIUM" serve "$T/fashion.safetensors" --listen 127.0.0.1 --port $PORT 2>"$T/err2" >/dev/null
[ $? -eq 1 ] || fail "second server on port $PORT did not exit 1"
grep -q "^podium: cannot listen on 127.0.0.1 port $PORT: Address already in use" "$T/err2" || fail "port in use: $(cat "$T/err2")"

# --- several connections at once: all answered, all the same
CPIDS=
for i in $(seq 8); do
	( for k in 1 2 3; do
		curl -s -X POST --data-binary @"$T/v2_u8.json" "$URL$I" >"$T/conc.$i.$k" || exit 1
	done ) &
	CPIDS="$CPIDS $!"
done
wait $CPIDS
for i in $(seq 8); do for k in 1 2 3; do
	cmp -s "$T/conc.$i.$k" "$T/conc.1.1" || fail "concurrent answer $i.$k differs: $(head -c 200 "$T/conc.$i.$k")"
done; done
grep -qF '"id":"u8"' "$T/conc.1.1" || fail "concurrent answers are not answers"

# --- metrics
req /metrics; [ "$CODE" = 200 ] || fail "metrics status $CODE"
grep -qF "podium_model_info{model=\"fashion\",version=\"$VER\",sha256=\"$SHA\"" "$T/body" || fail "metrics model info"
# v2: UINT8, FP32, versioned FP32, label-only and 24 concurrent; v1: one;
# each of 8 images
grep -qx 'podium_images_inferred_total 232' "$T/body" || fail "images inferred: $(grep images "$T/body")"
grep -qx 'podium_requests_total{endpoint="infer",code="200"} 28' "$T/body" || fail "infer 200 count: $(grep requests_total "$T/body")"
grep -q '^podium_requests_total{endpoint="infer",code="400"} [1-9]' "$T/body" || fail "infer 400 count"
grep -qx 'podium_requests_total{endpoint="v1_predict",code="200"} 1' "$T/body" || fail "v1 count"
grep -qx 'podium_inference_duration_seconds_count 29' "$T/body" || fail "histogram count"
grep -q '^podium_inference_duration_seconds_bucket{le="+Inf"} 29$' "$T/body" || fail "histogram +Inf"

# --- graceful stop: a slow upload in flight still gets its answer
curl -s -o "$T/slow" -w '%{http_code}' --limit-rate 20k -X POST \
	--data-binary @"$T/v2_fp32.json" "$URL$I" >"$T/slow.code" &
CPID=$!
sleep 0.7
kill -TERM $SPID
wait $CPID
wait $SPID
src=$?
SPID=
[ $src -eq 0 ] || fail "server exited $src after SIGTERM"
[ "$(cat "$T/slow.code")" = 200 ] || fail "in-flight request got $(cat "$T/slow.code")"
grep -qF '"id":"fp32"' "$T/slow" || fail "in-flight answer: $(head -c 200 "$T/slow")"
grep -q 'stopped on SIGTERM (0 requests cut off)' "$T/log" || fail "stop line"
curl -s -o /dev/null "$URL/v2/health/live" && fail "still listening after SIGTERM"

# --- usage errors
"$PODIUM" serve 2>/dev/null; [ $? -eq 2 ] || fail "no model: not a usage error"
"$PODIUM" serve "$T/fashion.safetensors" --threads 0 2>/dev/null; [ $? -eq 2 ] || fail "--threads 0"
"$PODIUM" serve "$T/nonexistent.safetensors" --port 0 2>"$T/err"; [ $? -eq 1 ] || fail "missing file: not exit 1"
grep -q '^podium: ' "$T/err" || fail "missing file message: $(cat "$T/err")"
echo "model_serve: ok"
