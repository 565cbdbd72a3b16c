#!/usr/bin/env bash
# models.sh - the model-aware dashboard in tmux against `podium sim`
# serving a model trained here (--demo-model): the models view with the
# model's checksum, revision, the ready-replica sparkline, the request rate
# and p99 after /infer requests through the API server's service proxy,
# CPU and memory from metrics.k8s.io; `podium get models`; `c` comparing
# the live pods with the served model (100% agreement) and with another
# model (disagreeing inputs drawn); `b` building a model image on the sim.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup
[ -d /usr/share/datasets/fashion-mnist ] || { echo "no Fashion-MNIST data set"; exit 77; }
command -v curl >/dev/null || { echo "curl not installed"; exit 77; }

# Short paths: the dialogs show them whole in their fields.
MD=$(mktemp -d /tmp/pm.XXXXXX)
E2E_EXTRA_CLEANUP='sim_cleanup; rm -rf "$MD"'
A=$MD/a.safetensors B=$MD/b.safetensors
"$PODIUM" model train --limit 2000 --epochs 1 --seed 1 -o "$A" >/dev/null 2>&1 || { echo "cannot train model A"; exit 1; }
"$PODIUM" model train --limit 1000 --epochs 1 --seed 2 -o "$B" >/dev/null 2>&1 || { echo "cannot train model B"; exit 1; }
SHA=$("$PODIUM" model info "$A" 2>/dev/null | grep -o '[0-9a-f]\{64\}' | head -1)
[ -n "$SHA" ] || { echo "no checksum from model info"; exit 1; }

sim_start m --speed 20 --demo-model "$A" || exit 1
KC=$SIM_TMP/m.kc URL=$(cat "$SIM_TMP/m.url")
p() { timeout 20 "$PODIUM" --kubeconfig "$KC" "$@"; }
sim_wait "the model deployment ready" sh -c "$PODIUM --kubeconfig $KC get models -n models | grep -q ' 2/2 '" || exit 1

# podium get models: the alias kind and its columns
out=$(p get models -A) || { echo "get models failed"; exit 1; }
echo "$out" | head -1 | grep -q "NAMESPACE *NAME *MODEL *SHA256 *READY *REVISION *IMAGE *AGE" || { echo "get models header: $out"; exit 1; }
echo "$out" | grep -q "^models *fashion-mnist *fashion-mnist *${SHA:0:12} *2/2 *1 " || { echo "get models row: $out"; exit 1; }
p get models -A | grep -q "^default" && { echo "get models lists plain deployments"; exit 1; }
[ "$(p get models -n models -o name)" = "deployment.apps/fashion-mnist" ] || { echo "get models -o name"; exit 1; }
p get models -n models -o wide | head -1 | grep -q "SELECTOR" || { echo "get models -o wide lacks SELECTOR"; exit 1; }

e2e_start 150 40 "$PODIUM" --kubeconfig "$KC" -c models
e2e_wait "models@all" || fail "no models view"
e2e_wait "${SHA:0:12}" 20 || fail "the model's checksum is not shown"
e2e_screen | grep -q "HISTORY *REVISION *IMAGE *REQ/S *P99 *CPU *MEM" || fail "the live columns are missing"
# the sparkline: the ready count as blocks (2 of 2: full)
e2e_wait "2/2    █" 20 || fail "no ready-replica sparkline"
# CPU and memory from metrics.k8s.io
e2e_screen | grep -E "fashion-mnist .* [0-9]+m +[0-9]+(Mi|Ki) " >/dev/null || e2e_wait "Mi " 15 || fail "no CPU/MEM from metrics.k8s.io"

# requests through the service proxy show as a rate and a p99
body=$E2E_TMP/infer.json
python3 -c "import json; print(json.dumps({'inputs':[{'name':'input','shape':[1,784],'datatype':'FP32','data':[0.0]*784}]}))" >"$body"
# Requests go on while the view reads (a rate needs two readings with
# requests between them); bounded in count and time.
(for i in $(seq 1 400); do
	curl -s -m 5 -o /dev/null -X POST -H 'Content-Type: application/json' --data @"$body" \
		"$URL/api/v1/namespaces/models/services/fashion-mnist:8080/proxy/v2/models/fashion-mnist/infer"
	sleep 0.05
done) &
LOAD=$!
ok=0
# The view reads /metrics every 3 s and needs two readings for a rate;
# a loaded machine may take several rounds.
for i in $(seq 1 300); do
	if e2e_screen | grep -E "fashion-mnist .* [0-9.]+ +[0-9.]+ms " >/dev/null; then ok=1; break; fi
	sleep 0.1
done
kill $LOAD 2>/dev/null; wait $LOAD 2>/dev/null
[ $ok = 1 ] || fail "no request rate and p99 after /infer requests"

# c: compare with the served model: 100% agreement
e2e_keys c
e2e_wait "Compare fashion-mnist" || fail "no compare dialog"
e2e_type "$A"; e2e_keys Tab BSpace BSpace BSpace; e2e_type "200"; e2e_keys Enter
e2e_wait "agreement 100.00% (200/200)" 60 || fail "no 100% agreement with the served model"
e2e_wait "confusion: rows local, columns live" || fail "no confusion heat map"
e2e_wait "no disagreement" || fail "no statement of no disagreement"
e2e_keys Escape
e2e_wait_gone "compare:" || fail "esc did not leave the compare view"

# c again: the file is remembered; another model disagrees, drawn
e2e_keys c
e2e_wait "$A" || fail "the compare dialog forgot the model file"
for i in $(seq 1 ${#A}); do e2e_keys BSpace; done
e2e_type "$B"; e2e_keys Enter
e2e_wait "agreement" 60 || fail "no second comparison"
e2e_screen | grep -q "agreement 100.00%" && fail "a different model agreed in full"
e2e_wait "disagree on" || fail "the disagreeing inputs are not listed"
e2e_screen | grep -q "[▀▄█]" || fail "no input drawn in half blocks"
e2e_keys Escape

# b: build a model image on the simulated cluster
e2e_keys b
e2e_wait "Build a model image in models" || fail "no build dialog"
e2e_wait "$B" || fail "the build dialog does not offer the last model"
# the model is known: the image field has the cursor
for i in $(seq 1 60); do e2e_keys BSpace; done
e2e_type "registry.local/models/e2e:2"; e2e_keys Enter
e2e_wait "build:" || fail "no build view"
e2e_wait "100%  pushed" 60 || fail "the build did not finish"
e2e_wait "naming to registry.local/models/e2e:2" || fail "the builder's log is not shown"
p -n models get jobs | grep -q "podium-build-b-" || fail "no build Job in the cluster"
e2e_keys Escape

e2e_type ":q"; e2e_keys Enter
e2e_wait "[exited 0]" || fail ":q did not exit 0"
echo "models e2e ok"
