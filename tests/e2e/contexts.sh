#!/usr/bin/env bash
# contexts.sh - the dashboard over two simulated clusters (one kubeconfig
# each, merged through KUBECONFIG): :ctx lists the contexts with the
# current one marked and enter switches in place (new connection, views
# reopened, the header following); :ctx NAME switches back; :ns and enter
# switch the namespace; the last view per context comes back on the next
# start; config.yaml's key overrides act and show in help; a bad config
# file is one line on the status line and the dashboard runs; --sim has
# one context.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }

sim_start a --speed 20 --demo || exit 1
sim_start b --speed 20 || exit 1
# the second cluster's kubeconfig under other names, so the two merge
sed 's/podium-sim/other/g' "$SIM_TMP/b.kc" >"$SIM_TMP/other.kc"
chmod 600 "$SIM_TMP/other.kc"
KCS="$SIM_TMP/a.kc:$SIM_TMP/other.kc"
KUBECONFIG=$SIM_TMP/other.kc timeout 20 kubectl create deployment only-in-other --image=nginx >/dev/null ||
	{ echo "cannot create a deployment in the second cluster"; exit 1; }
sim_wait "web in a" sh -c "kubectl --kubeconfig $SIM_TMP/a.kc get deploy web" || exit 1

NSRV=0
new_server() { NSRV=$((NSRV + 1)); E2E_SOCK="podium-e2e-$$-$NSRV"; }
quit() {
	e2e_keys Escape; e2e_type ":q"; e2e_keys Enter
	e2e_wait "[exited 0]" || fail ":q did not exit 0"
	e2e_stop
}

# ---- :ctx lists, enter switches in place
new_server; E2E_ENV="KUBECONFIG=$KCS" e2e_start 140 30 "$PODIUM" -c deploy
e2e_wait "deployments@default" || fail "no deployments view"
e2e_wait "ctx podium-sim" || fail "the header does not name the context"
e2e_type ":ctx"; e2e_keys Enter
e2e_wait "contexts [2]" || fail ":ctx does not list two contexts"
e2e_screen | grep -qE '^\* +podium-sim +podium-sim +podium-sim-admin +default' || fail "the current context is not marked"
e2e_screen | grep -qE '^ +other +other +other-admin' || fail "the other context is not listed"
e2e_type "/other"; e2e_keys Enter
e2e_keys Enter
e2e_wait "ctx other" || fail "enter did not switch the context"
e2e_wait "cluster other" || fail "the header does not follow the cluster"
e2e_wait "deployments@default" || fail "the view was not reopened"
e2e_wait "only-in-other" || fail "the view does not show the other cluster"
e2e_screen | grep -q "^web " && fail "the first cluster's deployments are still shown"
# and back by name
e2e_type ":ctx podium-sim"; e2e_keys Enter
e2e_wait "ctx podium-sim" || fail ":ctx NAME did not switch back"
e2e_wait "web" || fail "the first cluster's deployments are not shown again"
e2e_wait_gone "only-in-other" || fail "the other cluster's deployment is still shown"
e2e_type ":ctx nowhere"; e2e_keys Enter
e2e_wait 'context "nowhere" not found' || fail "no error for an unknown context"
e2e_screen | grep -q "ctx podium-sim" || fail "a failed switch left the context"

# ---- :ns lists namespaces, enter switches and reopens the view
e2e_type ":ns"; e2e_keys Enter
e2e_wait "namespaces" || fail ":ns did not list namespaces"
e2e_wait "kube-system" || fail "the namespaces are not listed"
e2e_type "/models"; e2e_keys Enter
e2e_wait_gone "kube-system" || fail "the namespace filter did not apply"
e2e_wait "Active" || fail "the filter hid the models namespace"
e2e_keys Enter
e2e_wait "deployments@models" || fail "enter on a namespace did not reopen deployments in it"
e2e_wait "ns models" || fail "the header does not show the namespace"
e2e_wait "fashion-mnist" || fail "the models namespace's deployment is not listed"
e2e_type ":ns default"; e2e_keys Enter
e2e_wait "deployments@default" || fail ":ns NAME did not reopen the view in NAME"
e2e_wait "ns default" || fail "the header does not follow :ns NAME"
e2e_type ":ns all"; e2e_keys Enter
e2e_wait "deployments@all" || fail ":ns all did not reopen the view in every namespace"
e2e_type ":ns models"; e2e_keys Enter
e2e_wait "deployments@models" || fail ":ns models did not switch back"

# ---- the last view per context comes back
e2e_type ":pods"; e2e_keys Enter
e2e_wait "pods@models" || fail "no pods view"
quit
grep -q "view: pods" "$E2E_TMP/state/podium/state.yaml" || fail "state.yaml does not remember pods: $(cat "$E2E_TMP/state/podium/state.yaml")"
ls "$E2E_TMP/state/podium" | grep -q tmp && fail "a temporary state file was left"
grep -A1 '^  "other":' "$E2E_TMP/state/podium/state.yaml" | grep -q "view: deployments" ||
	fail "state.yaml does not remember the other context's view: $(cat "$E2E_TMP/state/podium/state.yaml")"
new_server; E2E_ENV="KUBECONFIG=$KCS" e2e_start 140 30 "$PODIUM"
e2e_wait "pods@default" || fail "the last view of the context was not restored"
quit
# -c wins over it
new_server; E2E_ENV="KUBECONFIG=$KCS" e2e_start 140 30 "$PODIUM" -c svc
e2e_wait "services@default" || fail "-c did not win over the remembered view"
quit

# ---- config.yaml: key overrides act and show in help; readonly; start-view
mkdir -p "$E2E_TMP/config/podium"
cat >"$E2E_TMP/config/podium/config.yaml" <<'YAML'
start-view: deploy
refresh: 200ms
readonly: true
keys:
  describe: D
  help: [F1, h]
YAML
sed -i 's/F1, //' "$E2E_TMP/config/podium/config.yaml"
new_server; E2E_ENV="KUBECONFIG=$KCS" e2e_start 140 40 "$PODIUM"
e2e_wait "deployments@default" || fail "start-view: deploy was not used"
e2e_wait "web" || fail "no deployments"
e2e_wait "READONLY" || fail "readonly: true did not make the dashboard read-only"
e2e_type "/web"; e2e_keys Enter
e2e_wait_gone "broken" || fail "no filter"
e2e_keys d
sleep 0.5
e2e_screen | grep -q "describe:web" && fail "d still describes after describe was rebound"
e2e_keys D
e2e_wait "describe:web" || fail "D does not describe"
e2e_keys Escape s
e2e_wait "--readonly" || fail "readonly: true did not refuse scale"
e2e_keys h
e2e_wait "describe the selection" || fail "h does not open help"
e2e_screen | grep -qE '^  D +describe the selection' || fail "help does not show D for describe"
e2e_screen | grep -qE '^  d +describe the selection' && fail "help still shows d for describe"
quit

# ---- a bad file: one line with file:line:col, the dashboard runs
printf 'theme: default\nrefresh: soon\n' >"$E2E_TMP/config/podium/config.yaml"
new_server; E2E_ENV="KUBECONFIG=$KCS" e2e_start 160 30 "$PODIUM" -c deploy
e2e_wait "config.yaml:2:10: refresh is a duration" || fail "no message for a bad config file"
e2e_wait "web" || fail "the dashboard does not run with a bad config file"
quit
rm "$E2E_TMP/config/podium/config.yaml"

# ---- --sim: one context
new_server; E2E_ENV="XDG_CACHE_HOME=$E2E_TMP/cache" e2e_start 140 30 "$PODIUM" --sim -c deploy
e2e_wait "deployments@default" 120 || fail "podium --sim did not start"
e2e_type ":ctx"; e2e_keys Enter
e2e_wait "one context" || fail ":ctx under --sim does not say there is one context"
quit
echo "contexts e2e ok"
