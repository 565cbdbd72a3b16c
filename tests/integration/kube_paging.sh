#!/usr/bin/env bash
# podium get pages a long list (limit=500, continue) and shows every object
# exactly once: 1,200 seeded pods against podium sim, counted against what
# kubectl lists.
set -u
T=$(mktemp -d "${PODIUM_TEST_TMP:-/tmp}/kube-paging.XXXXXX")
"$PODIUM" sim --listen 127.0.0.1:0 --tls --token T --seed-pods 1200 \
	--kubeconfig-out "$T/kc" >"$T/url" 2>"$T/sim.err" &
SIM=$!
trap 'kill $SIM 2>/dev/null; wait $SIM 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 200); do [ -s "$T/kc" ] && [ -s "$T/url" ] && break; sleep 0.1; done
[ -s "$T/kc" ] || { echo "podium sim did not start"; cat "$T/sim.err"; exit 1; }
export KUBECONFIG="$T/kc" HOME="$T"
fail=0
"$PODIUM" get pods -A -o name -v "$T/log" >"$T/names" 2>"$T/err" || { echo "get failed: $(cat "$T/err")"; exit 1; }
pages=$(grep -c '^\* GET .*/api/v1/pods?limit=500' "$T/log")
conts=$(grep -c '^\* GET .*continue=' "$T/log")
n=$(wc -l <"$T/names")
uniq=$(sort -u "$T/names" | wc -l)
echo "podium: $n names ($uniq distinct) in $pages requests, $conts with continue"
[ "$n" -ge 1200 ] || { echo "FAILED: fewer than the 1200 seeded pods"; fail=1; }
[ "$n" = "$uniq" ] || { echo "FAILED: a pod listed twice"; fail=1; }
[ "$conts" -ge 2 ] || { echo "FAILED: the list was not paged"; fail=1; }
"$PODIUM" get pods -A >"$T/table" 2>"$T/err" || { echo "FAILED: table: $(cat "$T/err")"; fail=1; }
[ "$(($(wc -l <"$T/table") - 1))" = "$n" ] || { echo "FAILED: the table has $(($(wc -l <"$T/table") - 1)) rows, -o name $n"; fail=1; }
if command -v kubectl >/dev/null; then
	kubectl get pods -A -o name 2>/dev/null | sort >"$T/k"
	sort "$T/names" >"$T/p"
	cmp -s "$T/p" "$T/k" && echo "same names as kubectl" || { echo "FAILED: names differ from kubectl's"; diff "$T/p" "$T/k" | head; fail=1; }
fi
exit $fail
