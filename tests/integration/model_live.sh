#!/usr/bin/env bash
# The model lifecycle end to end on `podium sim`: train two different
# models, build their images in the cluster (the build Job really reads the
# context and pushes the model into the simulated registry; a bad checksum
# fails the Job as the Job controller fails it), deploy one, check its pods
# through the service and pod proxy (answers, /metrics, a refused dial),
# compare it live with the local engine, and roll a canary out: promoted
# when it answers like the model, refused (main untouched, canary gone)
# when it does not, and a leftover canary from an interrupted run replaced.
set -u
: "${PODIUM:?}" "${PODIUM_TEST_TMP:?}" "${TOP:?}"
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }
[ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] ||
	[ -e /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte ] ||
	{ echo "dataset-fashion-mnist not installed"; exit 77; }
. "$TOP/tests/lib/sim.sh"
T=$PODIUM_TEST_TMP/model_live
mkdir -p "$T"
trap sim_cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Two models that disagree on some inputs: other seed, other width.
cat >"$T/narrow.json" <<'EOF'
[{"type":"conv2d","name":"conv1","filters":8,"kernel":[3,3]},{"type":"relu"},
 {"type":"maxpool2d","pool":[2,2]},{"type":"flatten"},
 {"type":"dense","name":"fc1","units":32},{"type":"relu"},
 {"type":"dense","name":"fc2","units":10},{"type":"softmax"}]
EOF
"$PODIUM" model train --limit 3000 --epochs 1 --seed 1 -o "$T/A.safetensors" >"$T/trainA" 2>&1 ||
	fail "training A: $(tail -3 "$T/trainA")"
"$PODIUM" model train --limit 3000 --epochs 1 --seed 9 --arch "$T/narrow.json" \
	-o "$T/B.safetensors" >"$T/trainB" 2>&1 || fail "training B: $(tail -3 "$T/trainB")"

sim_start c --speed 20 || exit 1
export KUBECONFIG=$SIM_TMP/c.kc

# --- builds -----------------------------------------------------------
out=$("$PODIUM" build "$T/A.safetensors" --image registry.local/models/a:1 --wait 2>&1) ||
	fail "build a:1: $out"
grep -q '^#1 \[internal\] load build definition from Dockerfile' <<<"$out" ||
	fail "no BuildKit log in: $out"
grep -q 'pushing manifest for registry.local/models/a:1@sha256:' <<<"$out" ||
	fail "no push in the build log: $out"
out=$("$PODIUM" build "$T/A.safetensors" --image registry.local/models/a:1b --builder kaniko \
	--wait 2>&1) || fail "build a:1b (kaniko): $out"
grep -q 'Pushing image to registry.local/models/a:1b' <<<"$out" || fail "no kaniko log: $out"
out=$("$PODIUM" build "$T/B.safetensors" --image registry.local/models/a:2 --wait 2>&1) ||
	fail "build a:2: $out"

# A context whose bytes do not match the init container's checksum: the
# init container fails, the Job fails with BackoffLimitExceeded, nothing
# is pushed.
sum=$(sha256sum "$T/A.safetensors" | cut -d' ' -f1)
# bad_build NAME SHA: a build Job of the bytes "not a model" whose init
# container checks them against SHA.
bad_build() {
	cat <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: podium-build-$1-0}
binaryData: {model.safetensors.000: $(printf 'not a model' | base64)}
data: {Dockerfile: "FROM ghcr.io/podium/runtime:0.1.0\n"}
---
apiVersion: batch/v1
kind: Job
metadata: {name: podium-build-$1}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - name: context
        image: busybox:1.36
        command: [sh, -c, "set -e; cat /chunks/model.safetensors.* > /workspace/model.safetensors; echo '$2  /workspace/model.safetensors' | sha256sum -c -"]
        volumeMounts: [{name: chunks, mountPath: /chunks}, {name: workspace, mountPath: /workspace}]
      containers:
      - name: build
        image: moby/buildkit:v0.16.0-rootless
        command: [buildctl-daemonless.sh]
        args: [build, --frontend, dockerfile.v0, --local, context=/workspace, --output, "type=image,name=registry.local/models/$1:1,push=true"]
        volumeMounts: [{name: workspace, mountPath: /workspace}]
      volumes:
      - name: chunks
        projected: {sources: [{configMap: {name: podium-build-$1-0}}]}
      - {name: workspace, emptyDir: {}}
EOF
}
# failed_job NAME: the Job failed as the Job controller fails it.
failed_job() {
	kubectl wait --for=condition=Failed "job/podium-build-$1" --timeout=60s >/dev/null ||
		fail "build $1 did not fail: $(kubectl get job "podium-build-$1" -o yaml)"
	local reason
	reason=$(kubectl get job "podium-build-$1" -o jsonpath='{.status.conditions[?(@.type=="Failed")].reason}')
	[ "$reason" = BackoffLimitExceeded ] || fail "build $1 failed with '$reason'"
}
# not_pushed NAME: a pod of registry.local/models/NAME:1 cannot pull it.
not_pushed() {
	kubectl run "pull-$1" --image "registry.local/models/$1:1" >/dev/null || fail "kubectl run"
	sim_wait "ErrImagePull for $1:1" sh -c \
		"kubectl get pod pull-$1 -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' | grep -q ImagePull" ||
		fail "$1:1 is in the registry"
}
# The bytes do not match the checksum: the init container fails.
bad_build bad "$sum" | kubectl apply -f - >/dev/null || fail "creating the bad build"
failed_job bad
pod=$(kubectl get pods -l job-name=podium-build-bad -o name | head -1)
log=$(kubectl logs "$pod" -c context)
grep -q 'model.safetensors: FAILED' <<<"$log" || fail "init container log: $log"
code=$(kubectl get "$pod" -o jsonpath='{.status.initContainerStatuses[0].state.terminated.exitCode}')
[ "$code" = 1 ] || fail "init container exit code '$code'"
not_pushed bad
# The checksum matches but the bytes are no model: the builder fails.
bad_build nomodel "$(printf 'not a model' | sha256sum | cut -d' ' -f1)" | kubectl apply -f - >/dev/null ||
	fail "creating the nomodel build"
failed_job nomodel
pod=$(kubectl get pods -l job-name=podium-build-nomodel -o name | head -1)
log=$(kubectl logs "$pod" -c build)
grep -q '^error: failed to solve: model.safetensors is not a model podium serves' <<<"$log" ||
	fail "builder log: $log"
not_pushed nomodel

# --- a deployment serving A ---------------------------------------------
"$PODIUM" deploy fash --image registry.local/models/a:1 --model "$T/A.safetensors" >/dev/null ||
	fail "deploy"
kubectl rollout status deploy/fash --timeout 60s >/dev/null || fail "fash never became ready"

# through the service proxy: the model server answers
meta=$(kubectl get --raw /api/v1/namespaces/default/services/fash:http/proxy/v2/models/A) ||
	fail "model metadata through the service proxy"
grep -q "\"sha256\":\"$sum\"" <<<"$meta" || fail "metadata: $meta"
# a bad request gets the model server's own 400
printf '{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}' >"$T/bad.json"
out=$(kubectl create --raw /api/v1/namespaces/default/services/fash:8080/proxy/v2/models/A/infer \
	-f "$T/bad.json" 2>&1) && fail "a wrong shape was answered: $out"
# /metrics of a pod, through the pod proxy
p=$(kubectl get pods -l app.kubernetes.io/name=fash -o jsonpath='{.items[0].metadata.name}')
m=$(kubectl get --raw "/api/v1/namespaces/default/pods/$p:8080/proxy/metrics") || fail "metrics"
grep -q "^podium_model_info{model=\"A\".*sha256=\"$sum\"" <<<"$m" || fail "metrics: $m"
# each pod counts its own requests (one loaded model, a server per pod):
# three readiness checks on one pod show there and not on another
p2=$(kubectl get pods -l app.kubernetes.io/name=fash -o jsonpath='{.items[1].metadata.name}')
for _ in 1 2 3; do
	kubectl get --raw "/api/v1/namespaces/default/pods/$p:8080/proxy/v2/models/A/ready" >/dev/null ||
		fail "ready through the pod proxy"
done
kubectl get --raw "/api/v1/namespaces/default/pods/$p2:8080/proxy/v2/health/live" >/dev/null ||
	fail "live through the pod proxy"
ready_count() { # POD: its podium_requests_total for model_ready 200 (0 when absent)
	kubectl get --raw "/api/v1/namespaces/default/pods/$1:8080/proxy/metrics" |
		awk '/^podium_requests_total\{endpoint="model_ready",code="200"\}/ { n = $2 } END { print n + 0 }'
}
n1=$(ready_count "$p") n2=$(ready_count "$p2")
[ "$n1" = 3 ] && [ "$n2" = 0 ] || fail "per-pod counters: $p has $n1 ready requests, $p2 has $n2"
# a pod's model server goes with the pod: deleting the two pods that
# served stops their servers (two threads each) in the cluster's process
tasks() { ls "/proc/${SIM_PIDS[0]}/task" | wc -l; }
t0=$(tasks)
kubectl delete pod "$p" "$p2" --wait >/dev/null || fail "delete the served pods"
for _ in $(seq 100); do [ "$(tasks)" -le $((t0 - 4)) ] && break; sleep 0.1; done
[ "$(tasks)" -le $((t0 - 4)) ] || fail "model servers outlive their pods: $t0 threads before, $(tasks) after"
kubectl rollout status deploy/fash --timeout 60s >/dev/null || fail "fash never became ready again"
p=$(kubectl get pods -l app.kubernetes.io/name=fash -o jsonpath='{.items[0].metadata.name}')
# nothing listens on port 80 of a model pod, nor on an nginx pod here
out=$(kubectl get --raw "/api/v1/namespaces/default/pods/$p/proxy/" 2>&1) && fail "port 80 answered"
grep -q 'error trying to reach service: dial tcp [0-9.]*:80: connect: connection refused' <<<"$out" ||
	fail "refused dial: $out"
out=$(kubectl get --raw /api/v1/namespaces/default/services/fash/proxy/ 2>&1) && fail "no port answered"
grep -q 'no endpoints available for service "fash"' <<<"$out" || fail "unnamed port: $out"

# readiness follows the probe: one on a port the server does not listen on
# never passes, while the same pod probed on its port becomes ready
for probe in good:8080 bad:9999; do
	kubectl apply -f - >/dev/null <<EOF || fail "pod ${probe%%:*}"
apiVersion: v1
kind: Pod
metadata: {name: probe-${probe%%:*}}
spec:
  containers:
  - name: model-server
    image: registry.local/models/a:1
    args: [/models/model.safetensors, --port, "8080", --name, A]
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {httpGet: {path: /v2/health/ready, port: ${probe#*:}}, periodSeconds: 1}
EOF
done
kubectl wait --for=condition=Ready pod/probe-good --timeout=30s >/dev/null || fail "probe-good not ready"
sleep 0.5
[ "$(kubectl get pod probe-bad -o jsonpath='{.status.containerStatuses[0].ready}')" = false ] ||
	fail "a probe on port 9999 passed"
[ "$(kubectl get pod probe-bad -o jsonpath='{.status.phase}')" = Running ] || fail "probe-bad not running"

# --- live compare ---------------------------------------------------------
out=$("$PODIUM" model compare "$T/A.safetensors" --live deploy/fash --samples 500 \
	--min-agreement 0.999) || fail "compare A live: $out"
grep -q '^agreement  100.00% (500/500)' <<<"$out" || fail "compare A: $out"
grep -q '^errors     0 requests' <<<"$out" || fail "compare A errors: $out"
grep -q '^latency    p50 ' <<<"$out" || fail "compare A latency: $out"
out=$("$PODIUM" model compare "$T/B.safetensors" --live deploy/fash --samples 500 \
	--min-agreement 0.995 2>&1) && fail "B agreed with A's pods: $out"
grep -q 'is below --min-agreement' <<<"$out" || fail "compare B: $out"
grep -q '^input [0-9]* (label ' <<<"$out" || fail "no disagreeing input drawn: $out"
out=$("$PODIUM" model compare "$T/A.safetensors" --live deploy/nosuch 2>&1) && fail "nosuch: $out"
out=$("$PODIUM" model compare "$T/A.safetensors" --live deploy/fash --samples 100 -o json) ||
	fail "compare -o json: $out"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["agreement"] == 1.0 and d["answered"] == 100 and d["errors"] == [], d' <<<"$out" ||
	fail "compare -o json: $out"
# pods that are no model server: every request fails, and each is counted
"$PODIUM" deploy plain --image nginx:1.25 --replicas 1 >/dev/null || fail "deploy plain"
kubectl rollout status deploy/plain --timeout 60s >/dev/null || fail "plain never became ready"
out=$("$PODIUM" model compare "$T/A.safetensors" --live deploy/plain --samples 100 2>&1) &&
	fail "nginx pods answered: $out"
grep -q '^errors     2 requests (100 images unanswered)' <<<"$out" || fail "errors: $out"
grep -q '^     2x Error from server (ServiceUnavailable): error trying to reach service: dial tcp [0-9.]*:8080: connect: connection refused' \
	<<<"$out" || fail "error lines: $out"
grep -q 'no image was answered by deploy/plain' <<<"$out" || fail "no-answer: $out"

# --- gated rollouts ----------------------------------------------------------
image() { kubectl get deploy fash -o jsonpath='{.spec.template.spec.containers[0].image}'; }
out=$("$PODIUM" rollout model fash --image registry.local/models/a:1b --model "$T/A.safetensors" \
	--samples 300) || fail "rollout a:1b: $out"
grep -q '^result: promoted' <<<"$out" || fail "a:1b not promoted: $out"
[ "$(image)" = registry.local/models/a:1b ] || fail "fash runs $(image) after promotion"
kubectl get deploy fash-canary >/dev/null 2>&1 && fail "the canary stayed after promotion"

# a:2 holds B: it does not answer like A, so it is refused
out=$("$PODIUM" rollout model fash --image registry.local/models/a:2 --model "$T/A.safetensors" \
	--min-agreement 99.5 --samples 300 2>&1) && fail "a:2 was promoted: $out"
grep -q '^==> refused: agreement' <<<"$out" || fail "refusal: $out"
grep -q '^result: refused; deployment/fash untouched' <<<"$out" || fail "refusal result: $out"
[ "$(image)" = registry.local/models/a:1b ] || fail "fash runs $(image) after a refusal"
[ "$("$PODIUM" get deploy fash -o name)" = deployment.apps/fash ] || fail "podium get"
kubectl get deploy fash-canary >/dev/null 2>&1 && fail "the refused canary stayed"

# an interrupted run left a canary of a:2 behind: the next run replaces it
"$PODIUM" deploy fash --image registry.local/models/a:2 --replicas 1 --dry-run |
	awk '/^---/{exit} {print}' |
	sed -e 's/^  name: fash$/  name: fash-canary/' -e 's/track: stable/track: canary/' |
	kubectl apply -f - >/dev/null || fail "making a leftover canary"
out=$("$PODIUM" rollout model fash --image registry.local/models/a:1 --model "$T/A.safetensors" \
	--samples 200) || fail "rollout over a leftover canary: $out"
grep -q '^==> replacing canary deployment/fash-canary' <<<"$out" || fail "not replaced: $out"
grep -q '^result: promoted' <<<"$out" || fail "a:1 not promoted: $out"
[ "$(image)" = registry.local/models/a:1 ] || fail "fash runs $(image)"
# and once promoted, another run only cleans up
out=$("$PODIUM" rollout model fash --image registry.local/models/a:1 --model "$T/A.safetensors") ||
	fail "second run: $out"
grep -q 'already promoted' <<<"$out" || fail "second run: $out"
echo "ok"
