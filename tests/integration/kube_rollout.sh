#!/usr/bin/env bash
# rollout, logs and get -w against the simulated cluster over TLS, each
# checked against what the real kubectl says about the same state:
# rollout status to completion, restart, history, undo to the previous
# revision and to a given one, pause/resume and their errors; logs (tail,
# timestamps, limit-bytes, a deployment's pod) and logs -f across dropped
# watches; get -w across dropped and expired watches.
set -u
: "${PODIUM:?}" "${PODIUM_TEST_TMP:?}"
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }
T=$PODIUM_TEST_TMP/kube_rollout
mkdir -p "$T"
export KUBECONFIG=$T/kubeconfig
fail() { echo "FAIL: $*"; exit 1; }
. "$TOP/tests/lib/kubectl.sh"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

"$PODIUM" sim --listen 127.0.0.1:0 --tls --token T --kubeconfig-out "$KUBECONFIG" \
	--demo --speed 5 >"$T/sim.out" 2>"$T/sim.err" &
pids+=($!)
for _ in $(seq 50); do [ -s "$KUBECONFIG" ] && grep -q https "$T/sim.out" && break; sleep 0.1; done
[ -s "$KUBECONFIG" ] || fail "the simulated cluster did not start: $(cat "$T/sim.err")"

# Same words as kubectl, whose errors say "error: " where ours say "podium: ".
same() { # what, podium-output, kubectl-output
	[ "$2" = "$3" ] || fail "$1 differs:
podium:  $2
kubectl: $3"
}
strip() { sed -e 's/^podium: //' -e 's/^error: //'; }

# status of a finished rollout (the demo objects are still starting: wait)
kubectl rollout status deployment/web --timeout 60s >/dev/null || fail "web never rolled out"
kubectl rollout status deployment/cache --timeout 60s >/dev/null || fail "cache never rolled out"
out=$("$PODIUM" rollout status deployment/web --timeout 60s) || fail "rollout status: $out"
same "status" "$out" "$(kubectl rollout status deployment/web)"

# restart, then status follows the rollout to its end
out=$("$PODIUM" rollout restart deployment/web) || fail "restart: $out"
[ "$out" = "deployment.apps/web restarted" ] || fail "restart said: $out"
kubectl get deploy web -o jsonpath='{.spec.template.metadata.annotations}' | grep -q 'kubectl.kubernetes.io/restartedAt' \
	|| fail "restart left no restartedAt annotation"
out=$("$PODIUM" rollout status deploy/web --timeout 90s) || fail "status after restart: $out"
echo "$out" | grep -q '^Waiting for deployment "web" rollout to finish: ' || fail "status showed no progress: $out"
[ "$(echo "$out" | tail -1)" = 'deployment "web" successfully rolled out' ] || fail "status ended with: $out"

# history: byte for byte kubectl's
same "history" "$("$PODIUM" rollout history deployment/web)" "$(kubectl rollout history deployment/web)"
"$PODIUM" rollout history deployment/web | grep -q '^2 ' || fail "no revision 2 after restart"

# undo to the previous revision (1, without restartedAt)
out=$("$PODIUM" rollout undo deployment/web) || fail "undo: $out"
[ "$out" = "deployment.apps/web rolled back" ] || fail "undo said: $out"
"$PODIUM" rollout status deploy/web --timeout 90s >/dev/null || fail "status after undo"
kubectl get deploy web -o jsonpath='{.spec.template.metadata.annotations}' | grep -q restartedAt \
	&& fail "undo kept the restartedAt annotation"
same "history after undo" "$("$PODIUM" rollout history deployment/web)" "$(kubectl rollout history deployment/web)"

# undo to a given revision (2: the restarted template), and to the current one
out=$("$PODIUM" rollout undo deployment/web --to-revision 2) || fail "undo --to-revision 2: $out"
[ "$out" = "deployment.apps/web rolled back" ] || fail "undo to 2 said: $out"
"$PODIUM" rollout status deploy/web --timeout 90s >/dev/null || fail "status after undo to 2"
kubectl get deploy web -o jsonpath='{.spec.template.metadata.annotations}' | grep -q restartedAt \
	|| fail "undo to 2 did not bring restartedAt back"
cur=$(kubectl get deploy web -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')
out=$("$PODIUM" rollout undo deployment/web --to-revision "$cur")
same "undo to the current revision" "$out" "$(kubectl rollout undo deployment/web --to-revision "$cur")"
same "undo to a missing revision" "$("$PODIUM" rollout undo deployment/web --to-revision 99 2>&1 | strip)" \
	"$(kubectl rollout undo deployment/web --to-revision 99 2>&1 | strip)"

# a revision's template, as kubectl describes it (probes, resources, env...)
kubectl apply --validate=false -f "$TOP/tests/data/kube/probed-deployment.yaml" >/dev/null || fail "apply probed"
for _ in $(seq 50); do [ -n "$(kubectl get rs -l app=probed -o name)" ] && break; sleep 0.1; done
pd=$("$PODIUM" rollout history deployment/probed --revision 1)
kd=$(kubectl rollout history deployment/probed --revision 1)
if kubectl_before 26; then
	# kubectl 1.20 prints no Node-Selectors and Tolerations in a pod
	# template: podium's (1.32's) are checked against the manifest instead
	kubectl_skip "history --revision: Node-Selectors and Tolerations compared with the manifest, not kubectl"
	sel=$(printf '\n  Node-Selectors:\tdisk=ssd\n  Tolerations:\tgpu:NoSchedule op=Exists\n\tzone=a:NoExecute for 30s')
	[ "${pd%"$sel"}" != "$pd" ] || fail "history --revision: Node-Selectors and Tolerations: $pd"
	pd=${pd%"$sel"}
fi
same "history --revision" "$pd" "$kd"
same "history --revision 7" "$("$PODIUM" rollout history deployment/probed --revision 7 2>&1 | strip)" \
	"$(kubectl rollout history deployment/probed --revision 7 2>&1 | strip)"

# pause / resume and their errors
[ "$("$PODIUM" rollout pause deploy/web)" = "deployment.apps/web paused" ] || fail "pause"
same "pause twice" "$("$PODIUM" rollout pause deploy/web 2>&1 | strip)" "$(kubectl rollout pause deploy/web 2>&1 | strip)"
kd=$(kubectl rollout undo deploy/web 2>&1 | strip)
if kubectl_before 26; then
	# 1.20 names the deployment in the hint; 1.32 (and podium) do not
	kubectl_skip "undo when paused: compared with 1.32's words"
	[ "$kd" = "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/web' and try again" ] ||
		fail "kubectl undo when paused said: $kd"
	kd="you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again"
fi
same "undo when paused" "$("$PODIUM" rollout undo deploy/web 2>&1 | strip)" "$kd"
[ "$("$PODIUM" rollout resume deploy/web)" = "deployment.apps/web resumed" ] || fail "resume"
same "resume twice" "$("$PODIUM" rollout resume deploy/web 2>&1 | strip)" "$(kubectl rollout resume deploy/web 2>&1 | strip)"
same "status of a missing deployment" "$("$PODIUM" rollout status deploy/nope 2>&1 | strip)" \
	"$(kubectl rollout status deploy/nope 2>&1 | strip)"
"$PODIUM" rollout status deploy/nope >/dev/null 2>&1 && fail "status of a missing deployment exited 0"

# logs: the same lines kubectl gets
same "logs --tail" "$("$PODIUM" logs deployment/cache --tail 2)" "$(kubectl logs deployment/cache --tail 2)"
pod=$(kubectl get pods -l app=cache -o jsonpath='{.items[0].metadata.name}')
same "logs --timestamps" "$("$PODIUM" logs "$pod" --timestamps)" "$(kubectl logs "$pod" --timestamps)"
same "logs --limit-bytes" "$("$PODIUM" logs "$pod" --limit-bytes 17)" "$(kubectl logs "$pod" --limit-bytes 17)"
same "logs -p" "$("$PODIUM" logs "$pod" -p 2>&1 | strip)" "$(kubectl logs "$pod" -p 2>&1 | strip)"

# logs -f keeps streaming across dropped watches; no line twice
webpod=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
"$PODIUM" logs -f "$webpod" --timestamps >"$T/follow.out" 2>"$T/follow.err" &
lp=$!
pids+=($lp)
sleep 2
"$PODIUM" sim fault drop-watches || fail "sim fault drop-watches"
sleep 3
kill -0 $lp 2>/dev/null || fail "logs -f ended after drop-watches: $(cat "$T/follow.err")"
kill $lp
[ -z "$(sort "$T/follow.out" | uniq -d)" ] || fail "logs -f showed a line twice"
kubectl logs "$webpod" --timestamps >"$T/kubectl.out"
[ -z "$(comm -23 <(sort "$T/follow.out") <(sort "$T/kubectl.out"))" ] || fail "logs -f showed lines kubectl does not"

# get -w across dropped and expired watches: the last row of cache shows
# each scale, and the watch never ends
"$PODIUM" get deployments -w >"$T/watch.out" 2>"$T/watch.err" &
wp=$!
pids+=($wp)
sleep 2
"$PODIUM" sim fault drop-watches
kubectl scale deployment/cache --replicas 2 >/dev/null
sleep 3
"$PODIUM" sim fault expire-watches
kubectl scale deployment/cache --replicas 4 >/dev/null
for _ in $(seq 60); do
	grep -E '^cache +4/4 ' "$T/watch.out" >/dev/null && break
	sleep 0.5
done
kill -0 $wp 2>/dev/null || fail "get -w ended: $(cat "$T/watch.err")"
head -1 "$T/watch.out" | grep -q '^NAME  *READY  *UP-TO-DATE  *AVAILABLE  *AGE$' || fail "get -w printed no header"
grep -qE '^cache +[0-9]/2 ' "$T/watch.out" || fail "get -w missed the scale to 2 after drop-watches"
grep -qE '^cache +4/4 ' "$T/watch.out" || fail "get -w missed the scale to 4 after expire-watches: $(cat "$T/watch.out")"
echo "ok"
