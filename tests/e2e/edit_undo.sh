#!/usr/bin/env bash
# edit_undo.sh - `e` edits the selected object in a scripted $EDITOR and
# applies it server-side: the change reaches the cluster (checked with
# kubectl), the file holds no server bookkeeping, a refused edit shows the
# server's error and changes nothing, an unchanged file or a failing
# editor applies nothing. Then, under 1.5 s of API latency, `e`, `d` and
# `u` send their requests on the watch set: the keys answer while they
# are out, and the editor, the describe text, the revision picker and the
# rollback follow when the answers come.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }

sim_start ed --speed 20 --demo || exit 1
KC=$SIM_TMP/ed.kc
replicas() { timeout 20 kubectl --kubeconfig "$KC" get deploy web -o jsonpath='{.spec.replicas}'; }
sim_wait "web ready" sh -c "kubectl --kubeconfig $KC get deploy web -o jsonpath='{.status.readyReplicas}' | grep -qx 3" || exit 1

# The editor does what edit.mode says: a sed script for the file, "same"
# (save it unchanged) or "fail" (exit 3); it keeps a copy of what it got.
ED=$E2E_TMP/editor.sh
cat >"$ED" <<'SH'
#!/bin/sh
dir=$(dirname "$0")
cp "$1" "$dir/got.yaml"
mode=$(cat "$dir/edit.mode")
case $mode in
same) exit 0 ;;
fail) exit 3 ;;
*) sed -i "$mode" "$1" ;;
esac
SH
chmod +x "$ED"
mode() { printf '%s' "$1" >"$E2E_TMP/edit.mode"; }

E2E_ENV="EDITOR=$ED" e2e_start 120 64 "$PODIUM" --kubeconfig "$KC"
e2e_wait "models@all" || fail "no models view"
e2e_demo_web

# an edit that the server takes
mode 's/^  replicas: 3$/  replicas: 4/'
e2e_keys e
e2e_wait "deployment/web edited" || fail "the edit was not applied"
[ "$(replicas)" = 4 ] || fail "the cluster did not take the edit: replicas $(replicas)"
grep -q "^kind: Deployment" "$E2E_TMP/got.yaml" || fail "the editor did not get the object's YAML"
grep -qE "resourceVersion|managedFields|^status:" "$E2E_TMP/got.yaml" && fail "the file carries what an apply may not"

# refused by the server: its error is shown, nothing changes
mode 's/^  replicas: 4$/  replicas: -1/'
e2e_keys e
e2e_wait "Invalid value" || fail "the refusal was not shown"
[ "$(replicas)" = 4 ] || fail "a refused edit changed the cluster"

# saved unchanged, or the editor failed: nothing applied
mode same
e2e_keys e
e2e_wait "Edit cancelled, no changes made." || fail "an unchanged file was not said"
mode fail
e2e_keys e
e2e_wait "the editor failed: nothing applied" || fail "a failed editor was not said"
[ "$(replicas)" = 4 ] || fail "replicas changed without an edit"

# a second revision and a third, each given its change-cause after it is
# made (the Deployment's annotations go to its current ReplicaSet, as the
# Kubernetes documentation records a change-cause)
e2e_keys r
e2e_wait "restarted" || fail "no restart message"
sim_wait "revision 2" sh -c "kubectl --kubeconfig $KC rollout history deploy/web | grep -q '^2 '" || fail "no second revision"
cause() { timeout 20 kubectl --kubeconfig "$KC" annotate --overwrite deploy web kubernetes.io/change-cause="$1" >/dev/null || fail "kubectl annotate failed"; }
cause "restarted by the test"
sim_wait "revision 2's cause" sh -c "kubectl --kubeconfig $KC rollout history deploy/web | grep -q '^2 .*restarted by the test'" || fail "revision 2 lacks its change-cause"
timeout 20 kubectl --kubeconfig "$KC" set image deploy/web nginx=nginx:1.27 >/dev/null || fail "kubectl set image failed"
sim_wait "revision 3" sh -c "kubectl --kubeconfig $KC rollout history deploy/web | grep -q '^3 '" || fail "no third revision"
cause "image 1.27"

# slow answers: the keys answer while each request is out
"$PODIUM" sim fault --kubeconfig "$KC" latency=1500 || fail "cannot slow the cluster down"
prompt_while() { # what is said while the request is out
	t0=$(date +%s%N)
	e2e_keys :
	e2e_wait ":" 5 || fail "no prompt while $1"
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt 1000 ] || fail "the : prompt took ${ms} ms while $1"
	e2e_keys Escape
}
mode 's/^  replicas: 4$/  replicas: 2/'
e2e_keys e
e2e_wait "getting web to edit" 5 || fail "edit did not say it is getting the object"
prompt_while "the edit's GET was out"
e2e_wait "deployment/web edited" 15 || fail "the slow edit was not applied"
[ "$(replicas)" = 2 ] || fail "the cluster did not take the slow edit"

# describe: the Deployment, then its ReplicaSets and its events at once
t_d=$(date +%s%N)
e2e_keys d
e2e_wait "describing deployment/web" 5 || fail "describe did not say it is on its way"
prompt_while "describe's requests were out"
e2e_wait "NewReplicaSet:" 15 || fail "no describe text after the slow answers"
took=$((($(date +%s%N) - t_d) / 1000000))
e2e_screen | grep -q "^Events:" || fail "describe lacks the events section"
e2e_screen | grep -qE "^NewReplicaSet: +web-[a-z0-9]+ \([0-9]+/[0-9]+ replicas created\)" || fail "describe lacks the new ReplicaSet"
# the header's API latency is the fault's
e2e_screen | head -1 | grep -qE "api 1[5-9][0-9][0-9] ms" || fail "the header does not show the API latency"
# two round trips (the object, then the rest at once), not three
[ "$took" -lt 4300 ] || fail "describe took ${took} ms: its requests did not go at once"
e2e_keys Escape
e2e_wait_gone "NewReplicaSet:" || fail "esc did not leave describe"

e2e_keys u
e2e_wait "reading the revisions of deployment.apps/web" 5 || fail "undo did not say it reads the revisions"
prompt_while "the revisions were read"
e2e_wait "Undo web" 15 || fail "no revision picker after the slow answers"
e2e_screen | grep -qE "3 +nginx:1\.27 +image 1\.27" || fail "the picker lacks revision 3, its image and change-cause"
e2e_screen | grep -qE "2 +nginx:1\.25 +restarted by the test" || fail "the picker lacks revision 2, its image and change-cause"
e2e_screen | grep -qE "1 +nginx:1\.25 *│" || fail "the picker lacks revision 1 and its image"
# the previous revision (2) is offered first; go down to 1
e2e_keys Down Enter
e2e_wait "rolling deployment.apps/web back to revision 1" 5 || fail "the rollback did not say it is on its way"
prompt_while "the rollback was out"
e2e_wait "rolled back to revision 1" 15 || fail "the slow rollback was not said"
"$PODIUM" sim fault --kubeconfig "$KC" clear || true
sim_wait "revision 4" sh -c "kubectl --kubeconfig $KC rollout history deploy/web | grep -q '^4 '" || fail "undo made no new revision"
tmpl=$(timeout 20 kubectl --kubeconfig "$KC" get deploy web -o jsonpath='{.spec.template.spec.containers[0].image} {.spec.template.metadata.annotations}')
case $tmpl in
"nginx:1.25 "*restartedAt*) fail "rolled back to revision 2, not 1: $tmpl" ;;
"nginx:1.25 "*) ;;
*) fail "the template is not revision 1's: $tmpl" ;;
esac
echo "edit_undo e2e ok"
