#!/usr/bin/env bash
# token_rotation.sh - the dashboard across a token rotation. `podium sim
# --token-file` takes whatever token its file holds; the dashboard's user
# gets its token from an exec plugin that prints another file and counts
# its runs. After a rotation: a scale sent from the dashboard (on the watch
# set) goes through after exactly one plugin run; when the fresh token is
# refused too, the one-line Unauthorized error is shown after one run, not
# two; watches the cluster closes reopen with a fresh token and the view
# follows the cluster. No token reaches the screen or the debug log.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }

T=$E2E_TMP
tok() { # server-token plugin-token: what the cluster takes, what the plugin prints
	printf '%s\n' "$1" >"$T/server-token.new" && mv "$T/server-token.new" "$T/server-token"
	printf '%s' "$2" >"$T/plugin-token.new" && mv "$T/plugin-token.new" "$T/plugin-token"
}
runs() { cat "$T/count" 2>/dev/null || echo 0; }
tok rot-SECRET-one-4c1f rot-SECRET-one-4c1f

"$PODIUM" sim --token-file relative/token >/dev/null 2>&1
[ $? = 2 ] || fail "sim --token-file with a relative path is not a usage error"
sim_start rot --tls --token-file "$T/server-token" --speed 20 --demo || exit 1
KC=$SIM_TMP/rot.kc
grep -q "tokenFile: \"$T/server-token\"" "$KC" || grep -q "tokenFile: $T/server-token" "$KC" ||
	fail "the sim's kubeconfig does not name the token file"
grep -q "rot-SECRET" "$KC" && fail "the sim's kubeconfig holds the token itself"
k() { timeout 20 kubectl --kubeconfig "$KC" "$@"; }
replicas() { k get deploy web -o jsonpath='{.spec.replicas}'; }
sim_wait "web ready" sh -c "kubectl --kubeconfig $KC get deploy web -o jsonpath='{.status.readyReplicas}' | grep -qx 3" || exit 1

# The dashboard's kubeconfig: the sim's cluster, a user with the plugin.
CA=$(sed -n 's/^ *certificate-authority-data: //p' "$KC")
cat >"$T/exec.kc" <<KC
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: $(cat "$SIM_TMP/rot.url")
    certificate-authority-data: $CA
users:
- name: rotating
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $TOP/tests/data/kube/exec-plugin.sh
      interactiveMode: Never
      env:
      - {name: PLUGIN_MODE, value: file}
      - {name: EXEC_TOKEN_FILE, value: $T/plugin-token}
      - {name: EXEC_COUNT_FILE, value: $T/count}
contexts:
- name: rot
  context: {cluster: c, user: rotating, namespace: default}
current-context: rot
KC

e2e_start 160 32 "$PODIUM" --kubeconfig "$T/exec.kc" -v "$T/debug.log"
e2e_wait "models@all" || fail "no models view"
e2e_demo_web
[ "$(runs)" = 1 ] || fail "the plugin ran $(runs) times before any rotation"

# (a) rotated: the scale goes through after one plugin run
tok rot-SECRET-two-9a7e rot-SECRET-two-9a7e
e2e_keys s
e2e_wait "Scale web" || fail "no scale dialog"
e2e_keys BSpace; e2e_type "5"; e2e_keys Enter
e2e_wait "scaled to 5" || fail "no scale message after the rotation"
sim_wait "web scaled to 5" sh -c "[ \"\$(kubectl --kubeconfig $KC get deploy web -o jsonpath='{.spec.replicas}')\" = 5 ]" ||
	fail "the cluster did not scale"
[ "$(runs)" = 2 ] || fail "the plugin ran $(runs) times, want 2 (one for the rotation)"
grep -q "^< HTTP/[0-9.]* 401" "$T/debug.log" || fail "no request met the rotated token (no 401 in the log)"

# (b) the fresh token is refused too: one line, one plugin run
tok rot-SECRET-three-2d5b rot-SECRET-stale-8e0c
e2e_keys s
e2e_wait "Scale web" || fail "no scale dialog"
e2e_keys BSpace; e2e_type "6"; e2e_keys Enter
e2e_wait 'Unauthorized: the server rejected the credentials of user "rotating" in context "rot"' ||
	fail "no Unauthorized line"
[ "$(runs)" = 3 ] || fail "the plugin ran $(runs) times, want 3 (one for the refused retry)"
[ "$(replicas)" = 5 ] || fail "web was scaled with a refused token"

# (c) the watches the cluster closes reopen with a fresh token; the view
# follows a scale made elsewhere.
tok rot-SECRET-four-6b3d rot-SECRET-four-6b3d
before=$(runs)
"$PODIUM" sim fault --kubeconfig "$KC" drop-watches || fail "sim fault drop-watches failed"
k scale deploy web --replicas=2 >/dev/null || fail "kubectl scale failed"
e2e_wait "2/2" 60 || fail "the view did not follow the scale after the watches reopened"
[ "$(runs)" = $((before + 1)) ] || fail "the plugin ran $(( $(runs) - before )) times for the reopened watches, want 1"
e2e_screen | grep -q "reconnecting" && fail "a watch is reconnecting"

# No token on screen or in the debug log.
for t in one-4c1f two-9a7e three-2d5b stale-8e0c four-6b3d; do
	e2e_screen | grep -q "$t" && fail "a token is on the screen"
	grep -q "$t" "$T/debug.log" && fail "a token is in the debug log"
done
grep -q "Authorization: <redacted>" "$T/debug.log" || fail "the log shows no redacted Authorization"
e2e_keys : q Enter
exit 0
