#!/usr/bin/env bash
# podium get pods -A against kubectl get pods -A on podium sim seeded with
# 10,000 pods, over TLS: wall time and peak memory of each, and the ratios
# podium/kubectl (targets: time <= 0.5, memory <= 0.25). Each command runs
# three times after a warm-up; the best time and the largest memory count.
# Both pay the simulated server's time to build 20 pages of Table rows, so
# the time ratio measures the server as much as the clients.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
PODIUM=${PODIUM:-$TOP/$BUILD/podium}
cd "$TOP"
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }
mkdir -p "$BUILD/bench"
cc -std=c11 -O2 -o "$BUILD/bench/runstat" tests/bench/runstat.c || exit 1
T=$(mktemp -d /tmp/podium-bench-get.XXXXXX)
"$PODIUM" sim --listen 127.0.0.1:0 --tls --token T --seed-pods 10000 \
	--kubeconfig-out "$T/kc" >"$T/url" 2>"$T/sim.err" &
SIM=$!
trap 'kill $SIM 2>/dev/null; wait $SIM 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 600); do [ -s "$T/kc" ] && [ -s "$T/url" ] && break; sleep 0.1; done
[ -s "$T/kc" ] || { echo "podium sim did not start"; cat "$T/sim.err"; exit 1; }
export KUBECONFIG="$T/kc" HOME="$T"
n=$("$PODIUM" get pods -A -o name | wc -l)
kubectl get pods -A >/dev/null 2>&1 # kubectl's discovery cache, as a user has it
echo "pods listed: $n"
best() { # command...: "best-seconds max-kb best-cpu-seconds" over three runs
	local bt=999999 mk=0 bc=999999 t k c
	for _ in 1 2 3; do
		read -r t k c < <("$BUILD/bench/runstat" "$@")
		bt=$(awk -v a="$t" -v b="$bt" 'BEGIN { print (a < b) ? a : b }')
		bc=$(awk -v a="$c" -v b="$bc" 'BEGIN { print (a < b) ? a : b }')
		[ "$k" -gt "$mk" ] && mk=$k
	done
	echo "$bt $mk $bc"
}
read -r pt pm pc < <(best "$PODIUM" get pods -A)
read -r kt km kc < <(best kubectl get pods -A)
echo "podium  get pods -A: ${pt}s, ${pm} KB peak, ${pc}s CPU"
echo "kubectl get pods -A: ${kt}s, ${km} KB peak, ${kc}s CPU"
# The CPU ratio is the clients' own work; the wall time includes the
# server's, which the machine's load stretches for both.
awk -v pt="$pt" -v kt="$kt" -v pm="$pm" -v km="$km" -v pc="$pc" -v kc="$kc" 'BEGIN {
	tr = pt / kt; mr = pm / km
	printf "time   podium/kubectl: %.2f (target <= 0.50: %s)\n", tr, tr <= 0.5 ? "met" : "not met"
	printf "memory podium/kubectl: %.2f (target <= 0.25: %s)\n", mr, mr <= 0.25 ? "met" : "not met"
	if (kc > 0)
		printf "cpu    podium/kubectl: %.2f (client CPU time, user + system)\n", pc / kc
}'
