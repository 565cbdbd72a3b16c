#!/usr/bin/env bash
# get_watch_events.sh - podium get -w --output-watch-events: the first
# table's rows are ADDED, a new pod comes as ADDED, its deletion as
# DELETED; without -w, or with -o name, the flag is a usage error. (tests/bench/soak.sh rebuilds the watch's view of
# the cluster from these rows.)
set -u
: "${PODIUM:?}" "${TOP:?}"
. "$TOP/tests/lib/sim.sh"
W=
trap '[ -n "$W" ] && kill $W 2>/dev/null; sim_cleanup' EXIT
fail() { echo "FAIL: $*"; exit 1; }
sim_start ev --speed 20 --seed-pods 3 || exit 1
KC=$SIM_TMP/ev.kc
OUT=$SIM_TMP/watch.out
"$PODIUM" --kubeconfig "$KC" get pods -A -w --output-watch-events >"$OUT" 2>&1 &
W=$!
sim_wait "the first table" grep -q "^ADDED" "$OUT" || fail "no first table: $(cat "$OUT")"
head -1 "$OUT" | grep -q "^EVENT  *NAMESPACE  *NAME  *READY" || fail "header: $(head -1 "$OUT")"
[ "$(grep -c '^ADDED' "$OUT")" -eq 3 ] || fail "want 3 ADDED rows: $(cat "$OUT")"
cat >"$SIM_TMP/p.yaml" <<'Y'
apiVersion: v1
kind: Pod
metadata: {name: watched, namespace: default}
spec: {containers: [{name: c, image: nginx}]}
Y
"$PODIUM" --kubeconfig "$KC" apply -f "$SIM_TMP/p.yaml" >/dev/null || fail "apply"
sim_wait "ADDED watched" grep -q "^ADDED  *default  *watched " "$OUT" || fail "no ADDED row: $(cat "$OUT")"
"$PODIUM" --kubeconfig "$KC" delete pod watched >/dev/null || fail "delete"
sim_wait "DELETED watched" grep -q "^DELETED  *default  *watched " "$OUT" || fail "no DELETED row: $(cat "$OUT")"
"$PODIUM" --kubeconfig "$KC" get pods --output-watch-events >/dev/null 2>&1
[ $? -eq 2 ] || fail "--output-watch-events without -w is not a usage error"
"$PODIUM" --kubeconfig "$KC" get pods -w -o name --output-watch-events >/dev/null 2>&1
[ $? -eq 2 ] || fail "--output-watch-events with -o name is not a usage error"
echo "ok"
