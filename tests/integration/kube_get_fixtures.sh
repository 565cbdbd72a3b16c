#!/usr/bin/env bash
# podium get and kubectl get against the same recorded kube-apiserver 1.20
# answers (tests/integration/fixture_server.py over TLS): tables, -o wide,
# json, yaml and name must be byte for byte what kubectl prints, and errors
# in kubectl's words.
set -u
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
command -v kubectl >/dev/null || { echo "skip: kubectl not installed"; exit 77; }
T=$(mktemp -d "${PODIUM_TEST_TMP:-/tmp}/kube-get-fx.XXXXXX")
DATA="$TOP/tests/data/kube"
python3 "$TOP/tests/integration/fixture_server.py" "$DATA" "$T/port" &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { echo "fixture server did not start"; exit 1; }
cat >"$T/kubeconfig" <<YAML
apiVersion: v1
kind: Config
current-context: fx
clusters:
- name: fx
  cluster:
    server: https://127.0.0.1:$(cat "$T/port")
    certificate-authority-data: $(base64 -w0 "$DATA/tls/ca.crt")
users:
- name: fx
  user:
    token: fixture-token
- name: wrong
  user:
    token: not-the-token
contexts:
- name: fx
  context: {cluster: fx, user: fx}
- name: bad-user
  context: {cluster: fx, user: wrong}
YAML
export HOME="$T" # kubectl's discovery cache goes here
K=(--kubeconfig "$T/kubeconfig")
fail=0
. "$TOP/tests/lib/kubectl.sh"
# kubectl before 1.21 prints metadata.managedFields in -o json and -o yaml,
# and an empty selfLink in the metadata of the List it wraps several
# objects in; later ones (and podium) leave both out. strip_managed_fields:
# kubectl's JSON or YAML without them.
strip_list_selflink() { # the List's metadata: 2 spaces in YAML, 8 in JSON
	grep -v '^  selfLink: ""$' |
		awk '{ if (held) { if ($0 ~ /^        "selfLink": ""$/) { sub(/,$/, "", prev); print prev; held = 0; next }
			print prev }
			prev = $0; held = 1 }
			END { if (held) print prev }'
}
strip_managed_fields() {
	awk '
	skip && /^ *$/ { next }
	skip { match($0, /^ */); ind = RLENGTH
		if (json && ind == skip_ind && $0 ~ /^ *\],?$/) { skip = 0; next }
		if (ind > skip_ind || (!json && ind == skip_ind && $0 ~ /^ *- /)) next
		skip = 0 }
	/^ *"managedFields": \[$/ { match($0, /^ */); skip_ind = RLENGTH; skip = 1; json = 1; next }
	/^ *managedFields:$/ { match($0, /^ */); skip_ind = RLENGTH; skip = 1; json = 0; next }
	{ print }'
}
if kubectl_before 21; then
	kubectl_skip "managedFields and the List's empty selfLink left out of kubectl's -o json/yaml before comparing"
	kubectl_out() { kubectl "$@" | strip_managed_fields | strip_list_selflink; }
else
	kubectl_out() { kubectl "$@"; }
fi
same() { # podium and kubectl print the same for these arguments
	"$PODIUM" get "$@" "${K[@]}" >"$T/p" 2>"$T/p.err"
	local prc=$?
	kubectl_out get "$@" "${K[@]}" >"$T/k" 2>/dev/null
	if [ $prc -ne 0 ] || ! cmp -s "$T/p" "$T/k"; then
		echo "DIFFERENT: get $* (podium exit $prc)"; diff "$T/p" "$T/k" | head -20; cat "$T/p.err"; fail=1
	else
		echo "same: get $*"
	fi
}
same pods -l app=demo
same pods -l app=demo -o wide
same po -l app=demo -o name
same deploy demo -o json
same deploy demo -o yaml
same deployments.apps -o yaml
same deployments -o json
same deployments -o name
same rs -l app=demo -o yaml
same nodes -o json
same nodes -o yaml
same pods -o yaml
same pods -o json

expect_err() { # exit status, stderr line
	local want_rc=$1 want=$2; shift 2
	"$PODIUM" "$@" "${K[@]}" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ $rc -ne "$want_rc" ] || [ "$(cat "$T/err")" != "$want" ]; then
		echo "WRONG: $* -> exit $rc, stderr: $(cat "$T/err")"; echo "  want exit $want_rc: $want"; fail=1
	else
		echo "ok: $*"
	fi
}
expect_err 1 'podium: Error from server (NotFound): deployments.apps "does-not-exist" not found' get deploy does-not-exist
expect_err 1 'podium: Unauthorized: the server rejected the credentials of user "wrong" in context "bad-user"' get pods --context bad-user
expect_err 1 'podium: the server doesn'"'"'t have a resource type "widgets"' get widgets
expect_err 2 "podium: unknown output format 'xml' (table, wide, json, yaml, name) (see \`podium get --help\`)" get pods -o xml
expect_err 1 "podium: context \"nope\" not found in $T/kubeconfig (contexts: fx, bad-user)" get pods --context nope
# the token never shows in the debug log
"$PODIUM" get pods -l app=demo "${K[@]}" -v "$T/debug.log" >/dev/null 2>&1
if grep -q fixture-token "$T/debug.log" || ! grep -q "Authorization: <redacted>" "$T/debug.log"; then
	echo "WRONG: the debug log shows the token or lacks the redaction"; fail=1
else
	echo "ok: -v log redacted"
fi
exit $fail
