#!/usr/bin/env bash
# podium get/scale/delete/apply/describe/events against `podium sim` over TLS with
# every kind of credential (token, client certificate as data and as files,
# tokenFile, an exec plugin, two KUBECONFIG files merged, the in-cluster
# service account), the errors a person gets for a wrong token and a wrong
# CA, and the same operation done by podium and by kubectl leaving the same
# state (scale, delete, apply), and describe printing what kubectl prints.
set -u
T=$(mktemp -d "${PODIUM_TEST_TMP:-/tmp}/kube-cli.XXXXXX")
DATA="$TOP/tests/data/kube"
"$PODIUM" sim --listen 127.0.0.1:0 --tls --token T --client-cert --demo \
	--kubeconfig-out "$T/kc" >"$T/url" 2>"$T/sim.err" &
SIM=$!
trap 'kill $SIM 2>/dev/null; wait $SIM 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/kc" ] && [ -s "$T/url" ] && break; sleep 0.1; done
[ -s "$T/kc" ] || { echo "podium sim did not start"; cat "$T/sim.err"; exit 1; }
unset KUBECONFIG KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT
export HOME="$T/home"
mkdir -p "$HOME"
field() { grep -m1 "$1:" "$T/kc" | awk '{print $2}' | tr -d '"'; }
SERVER=$(field server)
CA=$(field certificate-authority-data)
CERT=$(field client-certificate-data)
KEY=$(field client-key-data)
echo "$CA" | base64 -d >"$T/ca.crt"
echo "$CERT" | base64 -d >"$T/client.crt"
echo "$KEY" | base64 -d >"$T/client.key"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAILED: $*"; fail=1; }
. "$TOP/tests/lib/kubectl.sh"

# kubeconfig NAME USER-BODY (indented under user:), with CA data
kubeconfig() {
	cat >"$T/$1" <<YAML
apiVersion: v1
kind: Config
current-context: sim
clusters:
- name: sim
  cluster:
    server: $SERVER
    certificate-authority-data: $CA
users:
- name: u
  user:
$2
contexts:
- name: sim
  context: {cluster: sim, user: u, namespace: default}
YAML
}

works() { # NAME ENV... : podium get deploy web with that kubeconfig
	local name=$1; shift
	if env "$@" "$PODIUM" get deploy web --kubeconfig "$T/$name" >"$T/out" 2>"$T/err" &&
		grep -q '^web ' "$T/out"; then
		ok "credentials: $name"
	else
		bad "credentials: $name: $(cat "$T/err")"
	fi
}

# without credentials the server refuses: so the ones below are really used
kubeconfig none.yaml "    {}"
if "$PODIUM" get deploy web --kubeconfig "$T/none.yaml" >/dev/null 2>"$T/err"; then
	bad "the simulated server let a request without credentials in"
else
	ok "no credentials: $(cat "$T/err")"
fi
kubeconfig token.yaml "    token: T"
works token.yaml
kubeconfig cert-data.yaml "    client-certificate-data: $CERT
    client-key-data: $KEY"
works cert-data.yaml
kubeconfig cert-files.yaml "    client-certificate: client.crt
    client-key: client.key"
works cert-files.yaml
printf 'T\n' >"$T/token-file"
kubeconfig tokenfile.yaml "    tokenFile: token-file"
works tokenfile.yaml
kubeconfig exec.yaml "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $DATA/exec-plugin.sh
      interactiveMode: Never
      env:
      - {name: PLUGIN_MODE, value: static}
      - {name: EXEC_TOKEN, value: T}"
works exec.yaml

# two files merged: the first to name a thing wins
cat >"$T/merge-1.yaml" <<YAML
apiVersion: v1
kind: Config
current-context: sim
clusters:
- name: sim
  cluster: {server: "$SERVER", certificate-authority-data: $CA}
users:
- name: u
  user: {token: T}
- name: wrong
  user: {token: not-T}
YAML
cat >"$T/merge-2.yaml" <<YAML
apiVersion: v1
kind: Config
current-context: elsewhere
clusters:
- name: sim
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: also-wrong}
contexts:
- name: sim
  context: {cluster: sim, user: u}
- name: elsewhere
  context: {cluster: sim, user: wrong}
YAML
if KUBECONFIG="$T/merge-1.yaml:$T/missing.yaml:$T/merge-2.yaml" "$PODIUM" get deploy web >"$T/out" 2>"$T/err" &&
	grep -q '^web ' "$T/out"; then
	ok "two KUBECONFIG files merged"
else
	bad "two KUBECONFIG files merged: $(cat "$T/err")"
fi

# the in-cluster service account
mkdir -p "$T/sa"
cp "$T/ca.crt" "$T/sa/ca.crt"
printf 'T' >"$T/sa/token"
printf 'default' >"$T/sa/namespace"
PORT=${SERVER##*:}
if KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$PORT PODIUM_SERVICEACCOUNT_DIR="$T/sa" \
	"$PODIUM" get deploy web >"$T/out" 2>"$T/err" && grep -q '^web ' "$T/out"; then
	ok "in-cluster service account"
else
	bad "in-cluster service account: $(cat "$T/err")"
fi

# the errors a person can act on
expect() { # want-stderr command...
	local want=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	if [ $? -eq 1 ] && grep -qF -- "$want" "$T/err"; then ok "error: $want"; else bad "want '$want', got: $(cat "$T/err")"; fi
}
kubeconfig wrong-token.yaml "    token: not-T"
expect 'Unauthorized: the server rejected the credentials of user "u" in context "sim"' \
	"$PODIUM" get pods --kubeconfig "$T/wrong-token.yaml"
grep -q not-T "$T/err" && bad "the token appears in the message"
sed "s|certificate-authority-data: .*|certificate-authority: $DATA/tls/other-ca.crt|" "$T/token.yaml" >"$T/wrong-ca.yaml"
expect 'does not verify against the cluster'"'"'s certificate-authority' "$PODIUM" get pods --kubeconfig "$T/wrong-ca.yaml"
sed "s|server: .*|server: https://127.0.0.1:1|" "$T/token.yaml" >"$T/down.yaml"
expect 'cannot reach the server https://127.0.0.1:1 (context "sim")' "$PODIUM" get pods --kubeconfig "$T/down.yaml"

# the same operation with podium and with kubectl leaves the same state
export KUBECONFIG="$T/token.yaml"
if command -v kubectl >/dev/null; then
	for n in same-p same-k; do
		cat >"$T/$n.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $n, labels: {app: $n}}
spec:
  replicas: 1
  selector: {matchLabels: {app: $n}}
  template:
    metadata: {labels: {app: $n}}
    spec: {containers: [{name: c, image: "nginx:1.25"}]}
YAML
		kubectl create --validate=false -f "$T/$n.yaml" >/dev/null 2>&1 || bad "kubectl create $n"
	done
	"$PODIUM" scale deploy/same-p --replicas 3 >"$T/out" 2>&1 || bad "podium scale: $(cat "$T/out")"
	grep -qx 'deployment.apps/same-p scaled' "$T/out" || bad "podium scale printed: $(cat "$T/out")"
	kubectl scale deploy/same-k --replicas=3 >/dev/null 2>&1 || bad "kubectl scale"
	spec() { kubectl get deploy "$1" -o jsonpath='{.spec}' | sed "s/$1/NAME/g"; }
	if [ "$(spec same-p)" = "$(spec same-k)" ] && [ -n "$(spec same-p)" ]; then
		ok "scale: podium and kubectl leave the same spec"
	else
		bad "scale: specs differ: $(spec same-p) / $(spec same-k)"
	fi
	"$PODIUM" delete deploy same-p >"$T/out" 2>&1 || bad "podium delete: $(cat "$T/out")"
	grep -qx 'deployments.apps "same-p" deleted' "$T/out" || bad "podium delete printed: $(cat "$T/out")"
	kubectl delete deploy same-k >/dev/null 2>&1 || bad "kubectl delete"
	for n in same-p same-k; do
		"$PODIUM" get deploy $n >/dev/null 2>"$T/err"
		grep -q "deployments.apps \"$n\" not found" "$T/err" || bad "after delete, $n: $(cat "$T/err")"
	done
	ok "delete: both gone"
else
	echo "kubectl not installed: podium/kubectl comparison left out"
fi

# apply (server-side): podium and kubectl apply the same manifest to two
# names and leave the same spec; a field another manager owns is a
# conflict listing it, --force-conflicts takes it over
for n in ap-p ap-k; do
	sed "s/same-p/$n/g" "$T/same-p.yaml" >"$T/$n.yaml"
done
"$PODIUM" apply -f "$T/ap-p.yaml" >"$T/out" 2>"$T/err"
grep -qx 'deployment.apps/ap-p serverside-applied' "$T/out" && ok "apply" || bad "apply: $(cat "$T/out" "$T/err")"
if command -v kubectl >/dev/null; then
	kubectl apply --server-side -f "$T/ap-k.yaml" >/dev/null 2>&1 || bad "kubectl apply"
	spec() { kubectl get deploy "$1" -o jsonpath='{.spec}' | sed "s/$1/NAME/g"; }
	if [ -n "$(spec ap-p)" ] && [ "$(spec ap-p)" = "$(spec ap-k)" ]; then
		ok "apply: podium and kubectl leave the same spec"
	else
		bad "apply: specs differ: $(spec ap-p) / $(spec ap-k)"
	fi
	printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ap-p}\nspec: {replicas: 5}\n' >"$T/other.yaml"
	# a partial manifest, as server-side apply allows: kubectl 1.20 validates
	# it against the whole schema itself (selector and template missing)
	kubectl apply --server-side --field-manager other --force-conflicts --validate=false \
		-f "$T/other.yaml" >"$T/kout" 2>&1 || bad "kubectl apply as another manager: $(cat "$T/kout")"
	"$PODIUM" apply -f "$T/ap-p.yaml" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q '^  .spec.replicas: conflict with "other"' "$T/err" && grep -q -- --force-conflicts "$T/err"; then
		ok "apply conflict lists the field and its manager"
	else
		bad "apply conflict (exit $rc): $(cat "$T/err")"
	fi
	"$PODIUM" apply -f "$T/ap-p.yaml" --force-conflicts >/dev/null 2>"$T/err" || bad "--force-conflicts: $(cat "$T/err")"
	[ "$(kubectl get deploy ap-p -o jsonpath='{.spec.replicas}')" = 1 ] && ok "--force-conflicts takes the field" ||
		bad "--force-conflicts: replicas $(kubectl get deploy ap-p -o jsonpath='{.spec.replicas}')"
fi
# validation before any request: the fix is in the message
sed 's/name: same-p/name: ai_model/' "$T/same-p.yaml" >"$T/bad.yaml"
expect 'ai-model' "$PODIUM" apply -f "$T/bad.yaml"

# describe: what kubectl describe prints (ages tick, so a few tries).
# Podium prints what kubectl 1.32 prints. Before 1.26 kubectl lays out the
# pod template differently (no Node-Selectors, Tolerations), says "Running"
# for a Job's active pods, has no Backoff Limit line, and reads a Service's
# endpoints from Endpoints where 1.32 reads EndpointSlices
# (discovery.k8s.io/v1, which a 1.20 server does not serve: both 1.32 and
# podium print <none> there). So with such a kubectl only the top-level
# "Key: value" lines both print are compared, but those two.
describe_top() { # FILE: "Key: value" lines of the top level, padding collapsed
	grep -E '^[A-Z][A-Za-z -]*:' "$1" | sed -E 's/:[[:space:]]+/: /; s/[[:space:]]+$//' |
		grep -vE '^(Pods Statuses|Endpoints):'
}
describe_same() { # podium's and kubectl's describe in $T/pd, $T/kd
	if ! kubectl_before 26; then
		cmp -s "$T/pd" "$T/kd"
		return
	fi
	describe_top "$T/pd" >"$T/pd.top"
	describe_top "$T/kd" >"$T/kd.top"
	# every line kubectl prints whose key podium prints too, equal
	local keys
	keys=$(cut -d: -f1 "$T/pd.top" | sort -u)
	[ -n "$keys" ] && [ -n "$(cat "$T/kd.top")" ] || return 1
	grep -F -x -f <(echo "$keys") <(cut -d: -f1 "$T/kd.top") >/dev/null || return 1
	awk -F': ' 'NR==FNR { k[$1]=1; next } ($1 in k)' "$T/pd.top" "$T/kd.top" >"$T/kd.common"
	awk -F': ' 'NR==FNR { k[$1]=1; next } ($1 in k)' "$T/kd.top" "$T/pd.top" >"$T/pd.common"
	[ "$(wc -l <"$T/kd.common")" -ge 4 ] && cmp -s "$T/pd.common" "$T/kd.common"
}
if command -v kubectl >/dev/null; then
	POD=$("$PODIUM" get pods -l app=web -o name | head -1 | cut -d/ -f2)
	RS=$("$PODIUM" get rs -l app=web -o name | head -1 | cut -d/ -f2)
	kubectl_before 26 && kubectl_skip "describe compares only the top-level fields both print (not the pod template, Pods Statuses, Endpoints)"
	for what in "deployment web" "deployment broken" "pod $POD" "replicaset $RS" "service web" "job nightly-report"; do
		same=0
		for _ in 1 2 3 4 5; do
			"$PODIUM" describe $what >"$T/pd" 2>&1
			kubectl describe $what >"$T/kd" 2>/dev/null
			if describe_same; then same=1; break; fi
			sleep 0.3
		done
		[ $same = 1 ] && ok "describe $what: as kubectl" || { bad "describe $what differs"; diff "$T/pd" "$T/kd" | head; }
	done
fi

# Secrets by name only: their values never reach the output
if command -v kubectl >/dev/null; then
	kubectl create secret generic pull --from-literal=password=hunter2-secret >/dev/null 2>&1 || bad "kubectl create secret"
	"$PODIUM" get secret pull -o yaml >"$T/out" 2>&1
	if grep -q 'password: <redacted>' "$T/out" && ! grep -q "$(printf hunter2-secret | base64)" "$T/out"; then
		ok "secret values redacted in -o yaml"
	else
		bad "secret -o yaml: $(cat "$T/out")"
	fi
	"$PODIUM" describe secret pull >"$T/out" 2>&1
	grep -q '^password:  14 bytes$' "$T/out" && ! grep -q hunter2 "$T/out" &&
		ok "describe secret: sizes, not values" || bad "describe secret: $(cat "$T/out")"
	printf 'line1\nline2\n' >"$T/f.txt"
	kubectl create configmap two --from-file=f.txt="$T/f.txt" >/dev/null 2>&1 || bad "kubectl create configmap"
	"$PODIUM" describe configmap two >"$T/pd" 2>&1
	kubectl describe configmap two >"$T/kd" 2>/dev/null
	# kubectl before 1.22 prints no BinaryData section: podium's without it
	if kubectl_before 22; then
		kubectl_skip "describe configmap: the BinaryData section"
		awk '/^$/ { blank = blank $0 "\n"; next }
		     /^BinaryData$/ { skip = 1; blank = ""; next }
		     skip && /^====$/ { next }
		     { printf "%s", blank; blank = ""; skip = 0; print }
		     END { if (!skip) printf "%s", blank }' "$T/pd" >"$T/pd.old"
		mv "$T/pd.old" "$T/pd"
	fi
	cmp -s "$T/pd" "$T/kd" && ok "describe configmap: as kubectl" || { bad "describe configmap differs"; diff "$T/pd" "$T/kd"; }
	"$PODIUM" get secrets >"$T/out" 2>&1
	grep -q '^pull  *Opaque  *1 ' "$T/out" && ok "secret table: type and key count" || bad "secret table: $(cat "$T/out")"
fi

# --request-timeout against a server that answers late
"$PODIUM" sim fault latency=3000 >/dev/null 2>&1
expect 'timed out waiting for' "$PODIUM" get pods --request-timeout 1s
"$PODIUM" sim fault clear >/dev/null 2>&1

# events and the table of a namespace
"$PODIUM" events >"$T/out" 2>&1 && head -1 "$T/out" | grep -q '^LAST SEEN *TYPE *REASON *OBJECT *MESSAGE' &&
	ok "events" || bad "events: $(head -3 "$T/out")"
# kubectl events orders ties with Go's unstable sort: compare the lines as sets
# kubectl before 1.26 has no `kubectl events`: its `get events -A` prints the
# server's Table (OBJECT as kind/name in lower case, LAST SEEN without the
# "(xN over ...)"): compare NAMESPACE, TYPE, REASON, OBJECT and MESSAGE.
events_cols() { # from podium events -A or kubectl get events -A
	awk 'NR > 1 { obj = $5; n = index(obj, "/"); obj = tolower(substr(obj, 1, n)) substr(obj, n + 1)
		msg = $0; for (i = 0; i < 5; i++) sub(/^[^ ]+ +/, "", msg)
		print $1, $3, $4, obj, msg }'
}
if command -v kubectl >/dev/null && kubectl_before 26; then
	kubectl_skip "events -A compared with kubectl get events -A, without LAST SEEN"
	same=0
	for _ in 1 2 3 4 5; do
		"$PODIUM" events -A 2>/dev/null | sed -E 's/ \(x[0-9]+ over [^)]*\)//' | events_cols | sort >"$T/pe"
		kubectl get events -A 2>/dev/null | events_cols | sort >"$T/ke"
		if [ -s "$T/pe" ] && cmp -s "$T/pe" "$T/ke"; then same=1; break; fi
		sleep 0.3
	done
	[ $same = 1 ] && ok "events -A: the events kubectl get events prints" || { bad "events -A differ"; diff "$T/pe" "$T/ke" | head; }
elif command -v kubectl >/dev/null; then
	same=0
	for _ in 1 2 3 4 5; do
		"$PODIUM" events -A 2>/dev/null | sort >"$T/pe"
		kubectl events -A 2>/dev/null | sort >"$T/ke"
		if cmp -s "$T/pe" "$T/ke"; then same=1; break; fi
		sleep 0.3
	done
	[ $same = 1 ] && ok "events -A: the lines kubectl events prints" || { bad "events -A differ"; diff "$T/pe" "$T/ke" | head; }
fi
"$PODIUM" get pods -A >"$T/out" 2>&1 && head -1 "$T/out" | grep -q '^NAMESPACE *NAME *READY *STATUS' &&
	ok "get pods -A" || bad "get pods -A: $(head -3 "$T/out")"
exit $fail
