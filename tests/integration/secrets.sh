#!/usr/bin/env bash
# secrets.sh - no credential ever reaches output, errors or the debug log.
# A bearer token, a client key, a basic-auth password and an exec plugin's
# token sit in kubeconfigs; podium commands that succeed and that fail (401,
# nothing listening, a certificate that does not verify, an invalid object)
# run with -v LOGFILE; stdout, stderr and the log are searched for each
# secret (and its base64 forms): none may appear, the log says
# "Authorization: <redacted>", and the files holding credentials (the
# kubeconfigs podium sim writes, the debug log) are mode 0600. Last, a
# podium watching with a token and a podium sim holding one are crashed
# with SIGSEGV under `ulimit -c unlimited` where a control process does
# dump core: neither may leave a core file (and so no token in one).
set -u
: "${PODIUM:?}" "${TOP:?}"
. "$TOP/tests/lib/sim.sh"
T=$(mktemp -d "${PODIUM_TEST_TMP:-/tmp}/secrets.XXXXXX")
trap 'sim_cleanup; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$T" || exit 1

TOKEN=tok-S3CRET-7f3a9c2e41d8
EXEC_TOKEN=exec-S3CRET-5b1e8d77c0aa
PASSWORD=pw-S3CRET-93c4d1e0f6b2
BASIC_USER=operator

sim_start tok --token "$TOKEN" --seed-pods 4 || exit 1
sim_start cert --tls --client-cert --seed-pods 2 || exit 1
sim_start exec --token "$EXEC_TOKEN" --seed-pods 2 || exit 1
for kc in tok cert exec; do
	[ "$(stat -c %a "$SIM_TMP/$kc.kc")" = 600 ] || fail "sim --kubeconfig-out $kc.kc is not 0600"
done
grep -q "$TOKEN" "$SIM_TMP/tok.kc" || fail "the token is not in tok.kc"
KEY_B64=$(sed -n 's/^ *client-key-data: //p' "$SIM_TMP/cert.kc")
[ -n "$KEY_B64" ] || fail "no client-key-data in the --client-cert kubeconfig"
echo "$KEY_B64" | base64 -d >client.key || fail "client-key-data is not base64"
grep -q "PRIVATE KEY" client.key || fail "client-key-data is not a key"

# Every secret and the forms it could leak in: itself, base64 of the basic
# credentials, the key's base64 and each line of its PEM body.
SECRETS=("$TOKEN" "$EXEC_TOKEN" "$PASSWORD" "$(printf '%s:%s' "$BASIC_USER" "$PASSWORD" | base64 -w0)"
	"${KEY_B64:0:40}" "${KEY_B64: -40}")
while read -r line; do
	case "$line" in -----*|"") ;; *) SECRETS+=("${line:0:32}") ;; esac
done <client.key

# kubeconfigs: the sims' own (token, client key), and a user per secret
# kind pointed at servers that accept or refuse it.
tok_url=$(cat "$SIM_TMP/tok.url") exec_url=$(cat "$SIM_TMP/exec.url")
mkkc() { # file server user-yaml [cluster-extra]
	cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: $2
${4:-}
users:
- name: u
  user:
$3
contexts:
- name: x
  context: {cluster: c, user: u, namespace: default}
current-context: x
KC
}
EXEC_USER="    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $TOP/tests/data/kube/exec-plugin.sh
      interactiveMode: Never
      env:
      - {name: PLUGIN_MODE, value: static}
      - {name: EXEC_TOKEN, value: $EXEC_TOKEN}"
mkkc exec-ok.kc "$exec_url" "$EXEC_USER"
mkkc exec-401.kc "$tok_url" "$EXEC_USER"
mkkc tok-401.kc "$exec_url" "    token: $TOKEN"
mkkc tok-down.kc "http://127.0.0.1:1" "    token: $TOKEN"
mkkc basic-401.kc "$tok_url" "    username: $BASIC_USER
    password: $PASSWORD"
cp "$SIM_TMP/tok.kc" tok-ok.kc
cp "$SIM_TMP/cert.kc" cert-ok.kc
# the client key against a CA that does not match the server: refused
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other.key \
	-out other.crt -subj /CN=other -days 1 2>/dev/null || fail "openssl"
sed "s|certificate-authority-data: .*|certificate-authority-data: $(base64 -w0 other.crt)|" \
	"$SIM_TMP/cert.kc" >cert-badca.kc

cat >bad.yaml <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata: {name: "Not_Valid"}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: c, image: i}]}
Y
cat >good.yaml <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
Y

n=0
# run WANT KC ARGS...: podium ARGS with -v log; WANT is ok or fail.
run() {
	local want=$1 kc=$2; shift 2
	n=$((n + 1))
	timeout 60 "$PODIUM" --kubeconfig "$kc" -v "log.$n" "$@" >"out.$n" 2>"err.$n"
	local rc=$?
	echo "$kc $*: exit $rc" >>runs
	if [ "$want" = ok ]; then
		[ $rc -eq 0 ] || fail "podium $* ($kc): exit $rc: $(head -3 "err.$n")"
	else
		[ $rc -ne 0 ] || fail "podium $* ($kc) succeeded, expected a failure"
		[ -s "err.$n" ] || fail "podium $* ($kc) failed without a word"
	fi
	if [ -e "log.$n" ]; then
		[ "$(stat -c %a "log.$n")" = 600 ] || fail "debug log of podium $* is mode $(stat -c %a "log.$n"), not 0600"
	fi
}

run ok tok-ok.kc get pods -A
run ok tok-ok.kc get pods -A -o yaml
run ok tok-ok.kc apply -f good.yaml
run fail tok-ok.kc apply -f bad.yaml
run ok tok-ok.kc events -A
read -r pns pod _ < <("$PODIUM" --kubeconfig tok-ok.kc get pods -A 2>/dev/null | awk '$4 == "Running" {print; exit}')
[ -n "$pod" ] && [ -n "$pns" ] || fail "no pod to describe"
run ok tok-ok.kc describe pod -n "$pns" "$pod"
run ok tok-ok.kc logs -n "$pns" "$pod"
run fail tok-ok.kc get pods nonexistent-pod
run fail tok-401.kc get pods
run fail tok-down.kc get pods --request-timeout 5s
run ok cert-ok.kc get pods -A
run ok cert-ok.kc get deploy -A -o json
run fail cert-badca.kc get pods
run ok exec-ok.kc get pods -A
read -r epns epod _ < <("$PODIUM" --kubeconfig exec-ok.kc get pods -A 2>/dev/null | awk '$4 == "Running" {print; exit}')
run ok exec-ok.kc describe pod -n "$epns" "$epod"
run fail exec-401.kc get pods
run fail basic-401.kc get pods
run fail basic-401.kc apply -f good.yaml

for ((i = 1; i <= n; i++)); do
	for s in "${SECRETS[@]}"; do
		for f in "out.$i" "err.$i" "log.$i"; do
			[ -e "$f" ] || continue
			grep -qF -- "$s" "$f" && fail "secret '${s:0:12}...' in $f ($(sed -n "${i}p" runs))"
		done
	done
	if [ -s "log.$i" ]; then
		grep -qiE "(bearer|basic) [a-z0-9+/=._-]{12,}" "log.$i" &&
			fail "credentials in log.$i: $(grep -iE '(bearer|basic) [a-z0-9+/=._-]{12,}' "log.$i" | head -2)"
	fi
done
# the logs of the runs that sent a token or a password show the header redacted
for i in 1 9 14 16 17; do
	grep -q "Authorization: <redacted>" "log.$i" || fail "log.$i ($(sed -n "${i}p" runs)) does not show Authorization redacted: $(head -5 "log.$i")"
done
grep -q "401\|Unauthorized\|unauthorized" err.9 || fail "the 401 does not say so: $(cat err.9)"
# Core dumps: the kernel here writes one for an ordinary process (the
# control), not for podium, which makes itself non-dumpable.
core_files() { find "$1" -maxdepth 1 -name 'core*' -type f | head -1; }
mkdir ctl dump
core_note=""
( cd ctl && ulimit -c unlimited 2>/dev/null && exec sleep 30 ) & cpid=$!
sleep 0.3; kill -SEGV $cpid; wait $cpid 2>/dev/null
if [ -z "$(core_files ctl)" ]; then
	core_note=" (core dumps: skipped, this kernel wrote no core for the control: $(cat /proc/sys/kernel/core_pattern))"
else
	( cd dump && ulimit -c unlimited && exec "$PODIUM" --kubeconfig ../tok-ok.kc get pods -A -w ) >watch.out 2>&1 & wpid=$!
	for _ in $(seq 100); do [ -s watch.out ] && break; sleep 0.1; done
	[ -s watch.out ] || fail "podium get pods -A -w printed nothing"
	kill -SEGV $wpid; wait $wpid 2>/dev/null
	( cd dump && ulimit -c unlimited && exec "$PODIUM" sim --token "$TOKEN" --seed-pods 1 ) >sim.out 2>&1 & spid=$!
	sleep 1; kill -SEGV $spid; wait $spid 2>/dev/null
	core=$(core_files dump)
	if [ -n "$core" ]; then
		grep -qaF -- "$TOKEN" "$core" && fail "podium dumped core with the token in it"
		fail "podium dumped core ($core) with a token in memory"
	fi
fi
echo "ok: $n runs, ${#SECRETS[@]} secret forms, none in any output or log; no core dump$core_note"
