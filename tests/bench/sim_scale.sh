#!/usr/bin/env bash
# sim_scale.sh - the simulated cluster at scale (issue 2): seeded with
# 10,000 pods over several namespaces and deployments, the server's own
# memory (target <= 150 MB), time and peak memory of `kubectl get pods -A`
# against it, and with 20 watchers attached the delay from a pod change to
# its event at every watcher (target median <= 20 ms).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
PODIUM=${PODIUM:-$TOP/$BUILD/podium}
cd "$TOP"
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }
mkdir -p "$BUILD/bench"
cc -std=c11 -O2 -o "$BUILD/bench/runstat" tests/bench/runstat.c || exit 1
T=$(mktemp -d /tmp/podium-bench-sim.XXXXXX)
start=$(date +%s.%N)
"$PODIUM" sim --listen 127.0.0.1:0 --tls --token T --seed-pods 10000 \
	--kubeconfig-out "$T/kc" >"$T/url" 2>"$T/sim.err" &
SIM=$!
trap 'kill $SIM 2>/dev/null; wait $SIM 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 600); do [ -s "$T/kc" ] && [ -s "$T/url" ] && break; sleep 0.05; done
[ -s "$T/url" ] || { echo "podium sim did not start"; cat "$T/sim.err"; exit 1; }
printf 'start with 10,000 pods seeded: %.2f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
export KUBECONFIG="$T/kc" HOME="$T"
n=$(kubectl get pods -A --no-headers 2>/dev/null | wc -l)
read -r t k c < <("$BUILD/bench/runstat" kubectl get pods -A)
echo "kubectl get pods -A: $n pods, ${t}s, $((k / 1024)) MB peak"
printf 'server memory: %d MB resident   (target <= 150 MB)\n' $(($(awk '/VmRSS/{print $2}' /proc/$SIM/status) / 1024))
grep 'certificate-authority-data' "$T/kc" | awk '{print $2}' | base64 -d >"$T/ca.pem"
NS=$(kubectl get pods -A --no-headers 2>/dev/null | awk 'NR==1{print $1}')
/usr/bin/python3 tests/bench/sim_watchers.py "$(cat "$T/url")" T "$T/ca.pem" "$NS" 20 50
printf 'server memory after: %d MB resident\n' $(($(awk '/VmRSS/{print $2}' /proc/$SIM/status) / 1024))
