#!/usr/bin/env bash
# tls.sh - podium against real TLS handshakes with certificates made here
# by openssl: a server certificate for another name, an expired one and one
# signed by another CA are each refused with one clear line naming the
# problem; the same servers are accepted when the kubeconfig says
# insecure-skip-tls-verify (with its warning); a matching certificate is
# accepted silently. The servers are `openssl s_server` (refusals) and
# `podium sim --tls` (a real API answer). (The unit test test_transport.c
# covers tls-server-name and client certificates against libmicrohttpd.)
set -u
: "${PODIUM:?}" "${TOP:?}"
command -v openssl >/dev/null || { echo "openssl is not installed"; exit 77; }
. "$TOP/tests/lib/sim.sh"
T=$(mktemp -d "${PODIUM_TEST_TMP:-/tmp}/tls.XXXXXX")
cleanup() {
	# serve runs in $(...): its servers' pids are in a file, not a variable
	[ -f "$T/servers" ] && while read -r p; do kill "$p" 2>/dev/null; done <"$T/servers"
	sim_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$T" || exit 1

# --- certificates -------------------------------------------------------
ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"; }
mkca() { # name
	openssl req -x509 $(ec) -keyout "$1.key" -out "$1.crt" -subj "/CN=$1" -days 2 2>/dev/null ||
		fail "openssl could not make CA $1"
}
mkcsr() { # name san
	openssl req $(ec) -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" -addext "subjectAltName=$2" \
		2>/dev/null || fail "openssl could not make CSR $1"
}
cat >ca.cnf <<'CNF'
[ca]
default_ca = d
[d]
dir = .
database = ./index.txt
new_certs_dir = .
serial = ./serial
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
CNF
: >index.txt
echo 01 >serial
sign() { # csr-name ca-name start end
	openssl ca -batch -config ca.cnf -cert "$2.crt" -keyfile "$2.key" -in "$1.csr" \
		-out "$1.crt" -startdate "$3" -enddate "$4" -notext >/dev/null 2>&1 ||
		fail "openssl could not sign $1"
}
now=$(date -u +%Y%m%d%H%M%SZ -d '-1 hour')
later=$(date -u +%Y%m%d%H%M%SZ -d '+1 day')
mkca good-ca
mkca other-ca
mkcsr good IP:127.0.0.1
sign good good-ca "$now" "$later"
mkcsr wrongname DNS:wrong.example
sign wrongname good-ca "$now" "$later"
mkcsr expired IP:127.0.0.1
sign expired good-ca 20200101000000Z 20200102000000Z
mkcsr otherca IP:127.0.0.1
sign otherca other-ca "$now" "$later"

# serve NAME: openssl s_server with NAME.crt on a free loopback port;
# prints the port.
serve() {
	openssl s_server -accept 127.0.0.1:0 -cert "$1.crt" -key "$1.key" -www \
		>"$1.srv" 2>&1 </dev/null &
	echo $! >>"$T/servers"
	local i port
	for ((i = 0; i < 100; i++)); do
		port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$1.srv")
		[ -n "$port" ] && { echo "$port"; return 0; }
		sleep 0.05
	done
	fail "openssl s_server for $1 did not start: $(cat "$1.srv")"
}

kubeconfig() { # file port tls-line
	cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:$2
    $3
users:
- name: u
  user:
    token: tls-test-token
contexts:
- name: x
  context: {cluster: c, user: u, namespace: default}
current-context: x
KC
}

# refused NAME WHAT: refused with one line that says WHAT; accepted with
# insecure-skip-tls-verify (the HTML answer of s_server is then the error).
refused() {
	local name=$1 what=$2 port
	port=$(serve "$name") || exit 1
	kubeconfig "$name.kc" "$port" "certificate-authority: $T/good-ca.crt"
	"$PODIUM" get pods --kubeconfig "$name.kc" --request-timeout 10s >"$name.out" 2>"$name.err"
	local rc=$?
	[ $rc -eq 1 ] || fail "$name: exit $rc, want 1 ($(cat "$name.err"))"
	[ "$(wc -l <"$name.err")" -eq 1 ] || fail "$name: not one line: $(cat "$name.err")"
	grep -q "^podium: the certificate of server https://127.0.0.1:$port" "$name.err" ||
		fail "$name: does not name the server: $(cat "$name.err")"
	grep -qi -- "$what" "$name.err" || fail "$name: does not say '$what': $(cat "$name.err")"
	[ -s "$name.out" ] && fail "$name: printed on stdout: $(cat "$name.out")"
	# insecure-skip-tls-verify: the handshake passes, with the warning
	kubeconfig "$name-insecure.kc" "$port" "insecure-skip-tls-verify: true"
	"$PODIUM" get pods --kubeconfig "$name-insecure.kc" >"$name.iout" 2>"$name.ierr"
	grep -q 'warning: insecure-skip-tls-verify is set for cluster "c"' "$name.ierr" ||
		fail "$name: no insecure warning: $(cat "$name.ierr")"
	grep -q "certificate" <(grep -v warning "$name.ierr") &&
		fail "$name: refused although insecure: $(cat "$name.ierr")"
	grep -q "not JSON" "$name.ierr" || fail "$name: did not reach HTTP: $(cat "$name.ierr")"
	echo "ok: $name refused: $(cat "$name.err")"
}

refused wrongname "is not for 127.0.0.1: "
grep -q 'check server and tls-server-name of cluster "c"' wrongname.err || fail "wrongname: no hint: $(cat wrongname.err)"
refused expired "is out of its validity dates: .*expired"
refused otherca "does not verify against the cluster's certificate-authority"
grep -q 'check certificate-authority of cluster "c"' otherca.err || fail "otherca: no hint: $(cat otherca.err)"

# a matching certificate: the handshake passes with no warning
port=$(serve good) || exit 1
kubeconfig good.kc "$port" "certificate-authority: $T/good-ca.crt"
"$PODIUM" get pods --kubeconfig good.kc >good.out 2>good.err
grep -q "certificate\|warning" good.err && fail "good certificate refused: $(cat good.err)"
grep -q "not JSON" good.err || fail "good certificate: no HTTP answer: $(cat good.err)"

# podium sim --tls: its own CA works; another CA in certificate-authority-data
# is refused; insecure-skip-tls-verify gets the real answer, with the warning.
sim_start tls --tls --seed-pods 3 || exit 1
KC=$SIM_TMP/tls.kc
"$PODIUM" get pods -A --kubeconfig "$KC" >sim.out 2>sim.err || fail "sim --tls: $(cat sim.err)"
[ "$(grep -c Running sim.out)" -eq 3 ] || fail "sim --tls: want 3 pods: $(cat sim.out)"
other=$(base64 -w0 other-ca.crt)
sed "s|certificate-authority-data: .*|certificate-authority-data: $other|" "$KC" >sim-other.kc
"$PODIUM" get pods -A --kubeconfig sim-other.kc >so.out 2>so.err && fail "sim with another CA accepted"
[ "$(wc -l <so.err)" -eq 1 ] || fail "sim other CA: not one line: $(cat so.err)"
grep -q "does not verify against the cluster's certificate-authority" so.err ||
	fail "sim other CA: $(cat so.err)"
sed "s|certificate-authority-data: .*|insecure-skip-tls-verify: true|" "$KC" >sim-insecure.kc
"$PODIUM" get pods -A --kubeconfig sim-insecure.kc >si.out 2>si.err || fail "sim insecure: $(cat si.err)"
[ "$(grep -c Running si.out)" -eq 3 ] || fail "sim insecure: want 3 pods: $(cat si.out)"
grep -q 'warning: insecure-skip-tls-verify is set for cluster "podium-sim"' si.err ||
	fail "sim insecure: no warning: $(cat si.err)"
echo "ok: sim --tls with its CA, another CA refused, insecure accepted with a warning"
