#!/usr/bin/env bash
# dashboard.sh - the dashboard in tmux against `podium sim`: start, views,
# filter, scale through the dialog (checked with kubectl), restart, undo
# through the revision picker, delete with confirmation, a followed log
# through a cut stream, readonly refusing
# a mutation, resize, hostile text drawn harmlessly, and SIGHUP leaving no
# process behind.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }

sim_start e2e --tls --token e2e-token --speed 20 --demo || exit 1
KC=$SIM_TMP/e2e.kc
k() { timeout 20 kubectl --kubeconfig "$KC" "$@"; }
sim_wait "web ready" sh -c "kubectl --kubeconfig $KC get deploy web -o jsonpath='{.status.readyReplicas}' | grep -qx 3" || exit 1

e2e_start 120 32 "$PODIUM" --kubeconfig "$KC"
e2e_wait "models@all" || fail "no models view"
e2e_wait "fashion-mnist" || fail "the demo's model deployment is not listed"
e2e_wait "ctx " || fail "no context in the header"
e2e_screen | head -1 | grep -qE "│ api [0-9.]+ ms │" || fail "no API latency in the header"

# views and the filter
e2e_demo_web

# scale web to 5 through the dialog
e2e_keys s
e2e_wait "Scale web" || fail "no scale dialog"
e2e_keys BSpace; e2e_type "5"; e2e_keys Enter
e2e_wait "scaled to 5" || fail "no scale message"
sim_wait "web scaled to 5" sh -c "kubectl --kubeconfig $KC get deploy web -o jsonpath='{.spec.replicas}' | grep -qx 5" || fail "the cluster did not scale"
e2e_wait "5/5" 30 || fail "the view did not follow the scale"

# restart: a new revision appears
e2e_keys r
e2e_wait "restarted" || fail "no restart message"
sim_wait "restartedAt" sh -c "kubectl --kubeconfig $KC get deploy web -o yaml | grep -q kubectl.kubernetes.io/restartedAt" || fail "restart did not annotate the template"
sim_wait "revision 2" sh -c "kubectl --kubeconfig $KC rollout history deploy/web | grep -q '^2 '" || fail "no second revision"

# undo through the picker: back to revision 1, which becomes 3
e2e_keys u
e2e_wait "Undo web" || fail "no revision picker"
e2e_keys Enter
e2e_wait "rolled back to revision 1" || fail "no rollback message"
sim_wait "revision 3" sh -c "kubectl --kubeconfig $KC rollout history deploy/web | grep -q '^3 '" || fail "undo made no new revision"

# delete, confirmed
e2e_keys C-d
e2e_wait "Delete deployment default/web?" || fail "no confirmation"
e2e_keys n
k get deploy web >/dev/null 2>&1 || fail "n deleted anyway"
e2e_keys C-d; e2e_wait "Delete deployment" || fail "no confirmation"
e2e_keys y
e2e_wait "deleted" || fail "no delete message"
sim_wait "web gone" sh -c "! kubectl --kubeconfig $KC get deploy web" || fail "web still there"

# a pod's log, followed; then describe
e2e_type ":pods"; e2e_keys Enter
e2e_wait "pods@default" || fail "no pods view"
e2e_wait "cache-" || fail "the cache pod is not listed"
e2e_type "/cache"; e2e_keys Enter
e2e_wait_gone "api-" || fail "the pod filter did not apply"
e2e_wait "cache-" || fail "the filter hid the cache pod"
e2e_keys l
e2e_wait "following" || fail "the log is not followed"
e2e_wait "Ready to accept connections" 20 || fail "no log lines"
# the stream is cut (as a proxy cuts it): marked, resumed, nothing repeated
"$PODIUM" sim fault --kubeconfig "$KC" drop-logs || fail "cannot cut the log streams"
e2e_wait "log stream dropped; resumed at" 20 || fail "the dropped stream was not marked"
e2e_screen | grep -q "following" || fail "the log is no longer followed after the drop"
[ "$(e2e_screen | grep -c "Ready to accept connections")" = 1 ] || fail "lines repeated after the resume"
e2e_keys Escape d
e2e_wait "Controlled By:" || fail "describe did not show the pod"
e2e_keys Escape

# help is drawn from the key table
e2e_keys Escape; e2e_keys '?'
e2e_wait "command mode" || fail "no help"
e2e_type "/rollout restart"; e2e_keys Enter
e2e_wait "rollout restart the selected deployment" || fail "help lacks a key"
e2e_keys Escape Escape

# hostile text in an event: drawn harmlessly
tmx pipe-pane -t t -o "cat >> $E2E_TMP/bytes"
k create --validate=false -f - >/dev/null <<JSON || fail "cannot create the hostile event"
{"apiVersion":"v1","kind":"Event","metadata":{"name":"evil.1","namespace":"default"},
 "involvedObject":{"kind":"Pod","name":"evil","namespace":"default"},
 "reason":"Evil","type":"Warning","message":"before\u001b[2J\u001b]52;c;aGFja2Vk\u0007\u001b]0;pwned\u0007\u009b31mafter"}
JSON
e2e_type ":events"; e2e_keys Enter
e2e_wait "events@" || fail "no events view"
e2e_type "/evil.1"; e2e_keys Enter
e2e_wait "evil.1" 20 || fail "the hostile event is not listed"
e2e_keys y
e2e_wait "31mafter" 20 || fail "the hostile event is not shown"
e2e_keys Escape
tmx pipe-pane -t t
if grep -qa $'\e]52' "$E2E_TMP/bytes" || grep -qa $'\e]0;pwned' "$E2E_TMP/bytes"; then
	fail "escape sequences from the cluster reached the terminal"
fi

# resize down to 40x10 and back
tmx resize-window -t t -x 40 -y 10
sleep 0.5
e2e_screen | grep -q "podium" || fail "nothing drawn at 40x10"
tmx resize-window -t t -x 120 -y 32
e2e_wait "events@" || fail "not redrawn after resize"

# :q exits 0
e2e_type ":q"; e2e_keys Enter
e2e_wait "[exited 0]" || fail ":q did not exit 0"

# readonly refuses a mutation
e2e_stop
e2e_start 120 32 "$PODIUM" --kubeconfig "$KC" --readonly
e2e_wait "READONLY" || fail "no READONLY badge"
e2e_type ":deploy"; e2e_keys Enter
e2e_wait "api" || fail "no deployments"
e2e_keys s
e2e_wait "--readonly" || fail "scale was not refused"
e2e_screen | grep -q "Scale api" && fail "a dialog opened under --readonly"

# SIGHUP: the process exits and restores the terminal
pid=$(pgrep -f "^$PODIUM --kubeconfig $KC --readonly" | head -1)
[ -n "$pid" ] || fail "cannot find the dashboard's pid"
kill -HUP "$pid"
e2e_wait "[exited" || fail "SIGHUP did not end the dashboard"
sleep 0.2
kill -0 "$pid" 2>/dev/null && fail "the dashboard is still running after SIGHUP"
echo "dashboard e2e ok"
