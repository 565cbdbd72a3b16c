#!/usr/bin/env bash
# sim_kubectl.sh - the real kubectl against `podium sim`, over TLS with a
# bearer token and with a client certificate: get (table, -o wide, -o json,
# -o yaml, -A, -l, -w, --sort-by), create -f, typed creates, scale,
# describe, rollout status, restart, history and undo, client-side and
# server-side apply (with a conflict), diff and server dry runs, logs (-f,
# --tail, --since, --timestamps), top, get events, the progress deadline,
# delete with cascading, faults, and a wrong token refused. Each step
# asserts the output or the state.
set -u
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }
TMP=${PODIUM_TEST_TMP:-/tmp}/sim_kubectl.$$
mkdir -p "$TMP"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }
. "$TOP/tests/lib/kubectl.sh"

# start NAME ARGS...: run `podium sim ARGS` and wait for its URL line.
start() {
	local name=$1; shift
	"$PODIUM" sim --listen 127.0.0.1:0 --kubeconfig-out "$TMP/$name.kc" "$@" \
		>"$TMP/$name.url" 2>"$TMP/$name.err" &
	PIDS+=($!)
	for _ in $(seq 100); do
		[ -s "$TMP/$name.url" ] && break
		sleep 0.1
	done
	[ -s "$TMP/$name.url" ] || fail "podium sim $name printed no URL: $(cat "$TMP/$name.err")"
	grep -qE '^https://127\.0\.0\.1:[0-9]+$' "$TMP/$name.url" || fail "bad URL $(cat "$TMP/$name.url")"
	[ "$(stat -c %a "$TMP/$name.kc")" = 600 ] || fail "kubeconfig mode is not 0600"
}

k() { timeout 30 kubectl --kubeconfig "$TMP/tok.kc" "$@"; }

# wait_for DESC CMD...: retry CMD for up to 30 s.
wait_for() {
	local desc=$1; shift
	for _ in $(seq 150); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	fail "timed out waiting for $desc"
}

# Usage errors are exit 2; a listen address off loopback is refused.
"$PODIUM" sim --bogus 2>/dev/null; [ $? = 2 ] || fail "sim --bogus did not exit 2"
"$PODIUM" sim --speed fast 2>/dev/null; [ $? = 2 ] || fail "sim --speed fast did not exit 2"
"$PODIUM" sim --seed-age old 2>/dev/null; [ $? = 2 ] || fail "sim --seed-age old did not exit 2"
out=$("$PODIUM" sim --listen 10.1.2.3:80 2>&1); [ $? = 1 ] || fail "sim off loopback did not exit 1"
echo "$out" | grep -q 'loopback' || fail "off loopback said: $out"
"$PODIUM" sim --help | grep -q 'sim fault' || fail "sim --help"

start tok --tls --token podium-test-token --speed 20
grep -q 'token: "podium-test-token"' "$TMP/tok.kc" || fail "kubeconfig lacks the token"
grep -q 'certificate-authority-data:' "$TMP/tok.kc" || fail "kubeconfig lacks the CA"

# Discovery and a table.
out=$(k get namespaces) || fail "get namespaces: $out"
echo "$out" | grep -qE '^default +Active' || fail "no default namespace: $out"
k api-resources | grep -qE '^deployments +deploy +apps/v1 +true +Deployment' ||
	fail "api-resources lacks deployments"

cat >"$TMP/web.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports: [{containerPort: 80}]
EOF
# kubectl validates the manifest first: 1.32 asks /openapi/v3 whether the
# server validates (fieldValidation=Strict), 1.20 validates on its own
# against /openapi/v2 in protobuf.
out=$(k create -f "$TMP/web.yaml") || fail "create -f: $out"
[ "$out" = "deployment.apps/web created" ] || fail "create said: $out"
out=$(k create -f "$TMP/web.yaml" 2>&1) && fail "second create succeeded"
echo "$out" | grep -q 'deployments.apps "web" already exists' || fail "AlreadyExists: $out"
sed 's/replicas: 3/replicass: 3/; s/name: web/name: typo/' "$TMP/web.yaml" >"$TMP/typo.yaml"
out=$(k create -f "$TMP/typo.yaml" 2>&1) && fail "a manifest with an unknown field was created"
if kubectl_before 25; then
	echo "$out" | grep -q 'ValidationError(Deployment.spec): unknown field "replicass" in io.k8s.api.apps.v1.DeploymentSpec' ||
		fail "unknown field said: $out"
	# what 1.20 validates on its own: types, and required fields
	sed 's/replicas: 3/replicas: "3"/; s/name: web/name: typed/' "$TMP/web.yaml" >"$TMP/typed.yaml"
	out=$(k create -f "$TMP/typed.yaml" 2>&1) && fail "a manifest with a string for replicas was created"
	echo "$out" | grep -q 'ValidationError(Deployment.spec.replicas): invalid type for io.k8s.api.apps.v1.DeploymentSpec.replicas: got "string", expected "integer"' ||
		fail "wrong type said: $out"
	grep -v 'selector:' "$TMP/web.yaml" | sed 's/name: web/name: noselector/' >"$TMP/nosel.yaml"
	out=$(k create -f "$TMP/nosel.yaml" 2>&1) && fail "a Deployment without a selector was created"
	echo "$out" | grep -q 'ValidationError(Deployment.spec): missing required field "selector" in io.k8s.api.apps.v1.DeploymentSpec' ||
		fail "missing selector said: $out"
else
	echo "$out" | grep -q 'strict decoding error: unknown field "spec.replicass"' ||
		fail "unknown field said: $out"
fi

ready3() { k get deployment web -o jsonpath='{.status.readyReplicas}' | grep -qx 3; }
wait_for "web 3/3 ready" ready3
out=$(k get deployment web)
echo "$out" | grep -qE '^web +3/3 +3 +3 ' || fail "get deployment: $out"

# Pods: table, wide, json, yaml, -l, -A.
out=$(k get pods -l app=web --no-headers)
[ "$(echo "$out" | grep -c Running)" = 3 ] || fail "3 running pods: $out"
k get pods -o wide | head -1 | grep -q 'NODE' || fail "-o wide has no NODE column"
n=$(k get pods -l app=web -o json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len([i for i in d["items"] if i["kind"]=="Pod" and i["metadata"]["labels"]["app"]=="web"]))')
[ "$n" = 3 ] || fail "-o json items: $n"
k get deployment web -o yaml | grep -q '^kind: Deployment$' || fail "-o yaml"
k get pods -l app=nope 2>&1 | grep -q 'No resources found' || fail "-l app=nope"
k get pods -A | head -1 | grep -q '^NAMESPACE' || fail "-A has no NAMESPACE column"
k get pods -l app=web -o name | grep -q '^pod/web-' || fail "-o name"
[ "$(k get pods -l app=web --sort-by=.metadata.name --no-headers | grep -c Running)" = 3 ] ||
	fail "--sort-by (Table rows with whole objects)"

# Watch while scaling: the new pod goes through its states.
timeout 6 kubectl --kubeconfig "$TMP/tok.kc" get pods -l app=web -w >"$TMP/watch.out" 2>&1 &
wpid=$!
sleep 1
out=$(k scale deployment web --replicas=4) || fail "scale: $out"
ready4() { k get deployment web -o jsonpath='{.status.readyReplicas}' | grep -qx 4; }
wait_for "web 4/4 ready" ready4
wait $wpid
[ "$(awk 'NR>1 {print $1}' "$TMP/watch.out" | sort -u | wc -l)" -ge 4 ] ||
	fail "watch saw fewer than 4 pods: $(cat "$TMP/watch.out")"
grep -q 'ContainerCreating\|Pending' "$TMP/watch.out" || fail "watch saw no new pod: $(cat "$TMP/watch.out")"
grep -q '<invalid>' "$TMP/watch.out" && fail "watch rows without server-side ages"

out=$(k rollout status deployment/web --timeout=20s) || fail "rollout status: $out"
echo "$out" | grep -q 'successfully rolled out' || fail "rollout status said: $out"
k rollout history deployment/web | grep -qE '^1 ' || fail "rollout history"
out=$(k describe deployment web) || fail "describe"
echo "$out" | grep -qE '^Replicas: +4 desired \| 4 updated \| 4 total \| 4 available' ||
	fail "describe deployment: $out"
# Restart (a strategic merge patch), then undo to the first revision.
k rollout restart deployment/web >/dev/null || fail "rollout restart"
out=$(k rollout status deployment/web --timeout=30s) || fail "rollout status after restart: $out"
[ "$(k rollout history deployment/web | grep -cE '^[0-9]+ ')" = 2 ] || fail "history after restart"
k rollout undo deployment/web --to-revision=1 >/dev/null || fail "rollout undo"
out=$(k rollout status deployment/web --timeout=30s) || fail "rollout status after undo: $out"
k rollout history deployment/web | grep -qE '^3 ' || fail "undo made no revision 3"
k get deployment web -o jsonpath='{.spec.template.metadata.annotations}' |
	grep -q restartedAt && fail "undo kept the restart annotation"

# Client-side apply: the last-applied annotation, then unchanged.
sed 's/replicas: 3/replicas: 4/' "$TMP/web.yaml" >"$TMP/web4.yaml"
k apply -f "$TMP/web4.yaml" 2>/dev/null | grep -q 'configured' || fail "apply configured"
k apply -f "$TMP/web4.yaml" | grep -q 'unchanged' || fail "apply unchanged"
# kubectl diff and --dry-run=server: dryRun=All answers, stores nothing.
k diff -f "$TMP/web4.yaml" >/dev/null || fail "diff of an applied manifest found changes"
k diff -f "$TMP/web.yaml" | grep -q '^+  replicas: 3' || fail "diff shows no change of replicas"
k apply --dry-run=server -f "$TMP/web.yaml" | grep -q 'server dry run' || fail "dry-run=server"
[ "$(k get deployment web -o jsonpath='{.spec.replicas}')" = 4 ] || fail "a dry run changed replicas"

# Server-side apply, a second manager's conflict, then forced.
out=$(k apply --server-side -f "$TMP/web4.yaml") || fail "apply --server-side: $out"
echo "$out" | grep -q 'serverside-applied' || fail "apply --server-side said: $out"
sed 's/replicas: 3/replicas: 2/' "$TMP/web.yaml" >"$TMP/web2.yaml"
out=$(k apply --server-side --field-manager=other -f "$TMP/web2.yaml" 2>&1) &&
	fail "conflicting apply succeeded"
echo "$out" | grep -qE 'conflicts? with "kubectl"' || fail "conflict said: $out"
echo "$out" | grep -q '\.spec\.replicas' || fail "conflict names no field: $out"
k apply --server-side --field-manager=other --force-conflicts -f "$TMP/web2.yaml" >/dev/null ||
	fail "forced apply"
[ "$(k get deployment web -o jsonpath='{.spec.replicas}')" = 2 ] || fail "forced apply replicas"
k scale deployment web --replicas=4 >/dev/null || fail "scale back to 4"
# kubectl scale's write is recorded: other's apply now conflicts with it.
out=$(k apply --server-side --field-manager=other -f "$TMP/web2.yaml" 2>&1) &&
	fail "apply over a scale succeeded"
echo "$out" | grep -q 'conflict with "kubectl" using apps/v1: .spec.replicas' ||
	fail "conflict with the scale said: $out"
four_pods() { [ "$(k get pods -l app=web --no-headers | grep -c ' Running ')" = 4 ] &&
	[ "$(k get pods -l app=web --no-headers | wc -l)" = 4 ]; }
wait_for "4 running pods again" four_pods

pod=$(k get pods -l app=web -o name | head -1)
k describe "$pod" | grep -qE '^Status: +Running' || fail "describe pod"

# Logs and events.
out=$(k logs deployment/web --tail=2) || fail "logs: $out"
[ "$(echo "$out" | wc -l)" -le 2 ] || fail "--tail=2 gave more lines"
timeout 3 kubectl --kubeconfig "$TMP/tok.kc" logs -f deployment/web >"$TMP/follow.out" 2>/dev/null
[ $? = 124 ] || fail "logs -f ended by itself"
[ -s "$TMP/follow.out" ] || fail "logs -f printed nothing"
k logs deployment/web --since=1h --timestamps 2>/dev/null | head -1 |
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z ' || fail "logs --timestamps"
k get events | grep -q 'Scheduled' || fail "no Scheduled event"
k top pods >/dev/null 2>&1 || fail "top pods"

# An image the registry lacks: rollout status gives up at the deadline.
cat >"$TMP/bad.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  replicas: 1
  progressDeadlineSeconds: 10
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec:
      containers: [{name: c, image: "ghcr.io/example/missing:1.0"}]
EOF
k create -f "$TMP/bad.yaml" >/dev/null || fail "create bad"
out=$(k rollout status deployment/bad --timeout=30s 2>&1) && fail "bad rolled out"
echo "$out" | grep -q 'deployment "bad" exceeded its progress deadline' ||
	fail "rollout status of bad said: $out"
k get pods -l app=bad | grep -qE 'ErrImagePull|ImagePullBackOff' || fail "bad pod not pulling"
k delete deployment bad >/dev/null || fail "delete bad"

# Faults through podium sim fault: every request fails, then clear.
"$PODIUM" sim fault --kubeconfig "$TMP/tok.kc" errors=1 || fail "sim fault errors=1"
k get namespaces >/dev/null 2>&1 && fail "errors=1 did not fail kubectl"
"$PODIUM" sim fault --kubeconfig "$TMP/tok.kc" clear || fail "sim fault clear"
k get namespaces >/dev/null || fail "kubectl after clear"
"$PODIUM" sim fault --kubeconfig "$TMP/tok.kc" bogus 2>/dev/null && fail "bogus fault accepted"

# Typed creates (kubectl sends protobuf for these).
out=$(k create deployment hello --image=nginx --replicas=2) || fail "create deployment: $out"
k create service clusterip hello --tcp=80:80 >/dev/null || fail "create service"
k create configmap hello --from-literal=greeting=hi >/dev/null || fail "create configmap"
[ "$(k get configmap hello -o jsonpath='{.data.greeting}')" = hi ] || fail "configmap data"
hello2() { k get deployment hello -o jsonpath='{.status.readyReplicas}' | grep -qx 2; }
wait_for "hello 2/2 ready" hello2
k get endpoints hello -o jsonpath='{.subsets[0].addresses[*].ip}' | grep -q '\.' ||
	fail "no endpoints for service hello"

# Delete with cascading: the ReplicaSet and pods go too.
out=$(k delete deployment web) || fail "delete: $out"
gone() { [ -z "$(k get rs,pods -l app=web -o name)" ]; }
wait_for "web's replicasets and pods to go" gone
k get deployment web 2>&1 | grep -q 'deployments.apps "web" not found' || fail "web still there"

# A wrong token is refused as the real server refuses it.
sed 's/podium-test-token/not-a-valid-token/' "$TMP/tok.kc" >"$TMP/bad.kc"
chmod 600 "$TMP/bad.kc"
out=$(timeout 30 kubectl --kubeconfig "$TMP/bad.kc" get pods 2>&1) && fail "bad token accepted"
echo "$out" | grep -q 'Unauthorized' || fail "bad token: $out"

# Client certificate: a server without a token.
start cert --tls --speed 20
grep -q 'client-certificate-data:' "$TMP/cert.kc" || fail "no client certificate in kubeconfig"
out=$(timeout 30 kubectl --kubeconfig "$TMP/cert.kc" get namespaces 2>&1) || fail "cert auth: $out"
echo "$out" | grep -q '^kube-system' || fail "cert auth listing: $out"
"$PODIUM" sim fault --kubeconfig "$TMP/cert.kc" latency=1,clear || fail "sim fault with a client certificate"
# --seed-age: what is seeded carries that age (pods 2 h old), what is made
# after it is new
start aged --tls --seed-pods 3 --seed-age 2h
ages=$(timeout 30 kubectl --kubeconfig "$TMP/aged.kc" get pods -A --no-headers | awk '{print $NF}' | sort -u)
[ "$ages" = 120m ] || fail "pods seeded 2h ago are aged: $ages"
timeout 30 kubectl --kubeconfig "$TMP/aged.kc" create namespace fresh >/dev/null || fail "create namespace"
age=$(timeout 30 kubectl --kubeconfig "$TMP/aged.kc" get namespace fresh --no-headers | awk '{print $NF}')
case $age in *s) ;; *) fail "a namespace made now is $age old" ;; esac
echo "ok"
