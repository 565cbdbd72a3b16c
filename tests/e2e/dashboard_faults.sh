#!/usr/bin/env bash
# dashboard_faults.sh - the dashboard over 200 pods while they are deleted
# and recreated, watches dropped and expired (410, relist) and keys pressed:
# it must keep running (no freed item drawn: a view held back from a
# changed cache once did) and end showing the true count.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup

sim_start f --seed-pods 200 --speed 5 || exit 1
KC=$SIM_TMP/f.kc
p() { timeout 20 "$PODIUM" --kubeconfig "$KC" "$@"; }
e2e_start 160 40 "$PODIUM" --kubeconfig "$KC" -A -c pods
e2e_wait "pods@all [200]" 20 || fail "no first frame with 200 pods"
mapfile -t PODS < <(p get pods -A | awk 'NR > 1 {print $1 " " $2}')
faults=(expire-watches drop-watches expire-watches errors=0.3 clear)
for ((i = 0; i < 30; i++)); do
	dels=()
	for ((j = 0; j < 4; j++)); do
		x=${PODS[RANDOM % ${#PODS[@]}]}
		p -n "${x% *}" delete pod "${x#* }" >/dev/null 2>&1 &
		dels+=($!)
	done
	"$PODIUM" sim fault --kubeconfig "$KC" "${faults[i % ${#faults[@]}]}" >/dev/null 2>&1
	e2e_keys j j k
	sleep 0.5
	e2e_screen | grep -q '^\[exited' && fail "the dashboard died under churn and faults"
	wait "${dels[@]}"
done
"$PODIUM" sim fault --kubeconfig "$KC" clear >/dev/null 2>&1
e2e_screen | grep -q '^\[exited' && fail "the dashboard died under churn and faults"
# the true count once the cluster settles (deleted pods replaced, gone)
for ((i = 0; i < 60; i++)); do
	n=$(p get pods -A | awk 'NR > 1' | wc -l)
	e2e_screen | grep -qF "pods@all [$n]" && break
	sleep 1
done
e2e_screen | grep -qF "pods@all [$n]" || fail "the breadcrumb does not show the $n pods"
e2e_type ":q"; e2e_keys Enter
e2e_wait "[exited 0]" || fail ":q did not exit 0"
echo "dashboard under faults ok"
