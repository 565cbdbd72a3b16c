#!/usr/bin/env bash
# soak.sh - the dashboard (in tmux) and `podium get pods -A -w` attached to
# `podium sim --seed-pods SOAK_PODS` (2000) for SOAK_SECONDS (600), under
# continuous churn (scales, rollout restarts, pod deletions through podium)
# and a fault every SOAK_FAULT_EVERY seconds (5): dropped watches, 410s,
# 500s, 429s, latency spikes, a 20 s stall. At the end, churn and faults
# stopped: no process crashed; the dashboard's resident memory is within
# 10% of its level after the first minute; the view `get -w` built from its
# rows (--output-watch-events) equals a fresh LIST; the dashboard's
# breadcrumb count equals the real count. Prints those figures; exits 1
# when one of them fails.
set -u
: "${PODIUM:?}"
command -v tmux >/dev/null || { echo "tmux missing"; exit 77; }
SECS=${SOAK_SECONDS:-600}
PODS=${SOAK_PODS:-2000}
EVERY=${SOAK_FAULT_EVERY:-5}
TMP=$(mktemp -d /tmp/podium-soak.XXXXXX)
SOCK=podium-soak-$$
SIM= WATCH= CHURN= FAULTS=
cleanup() {
	for p in $CHURN $FAULTS $WATCH; do kill "$p" 2>/dev/null; done
	tmux -L "$SOCK" kill-server 2>/dev/null
	[ -n "$SIM" ] && kill "$SIM" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
failures=()
check() { # OK? WHAT
	if [ "$1" = 1 ]; then echo "  ok    $2"; else echo "  FAIL  $2"; failures+=("$2"); fi
}

"$PODIUM" sim --listen 127.0.0.1:0 --seed-pods "$PODS" --kubeconfig-out "$TMP/kc" \
	>"$TMP/url" 2>"$TMP/sim.err" &
SIM=$!
for _ in $(seq 300); do [ -s "$TMP/url" ] && break; sleep 0.1; done
[ -s "$TMP/url" ] || { echo "podium sim did not start: $(cat "$TMP/sim.err")"; exit 1; }
KC=$TMP/kc
p() { timeout 30 "$PODIUM" --kubeconfig "$KC" "$@"; }
mapfile -t DEPLOYS < <(p get deploy -A | awk 'NR > 1 {print $1 " " $2}')
[ ${#DEPLOYS[@]} -gt 0 ] || { echo "no deployments in the seeded cluster"; exit 1; }

# the dashboard (exec: the pane's pid is podium's) and the watch
tmux -L "$SOCK" -f /dev/null new-session -d -s s -x 200 -y 50 \
	"exec env TERM=xterm-256color LANG=C.UTF-8 $PODIUM --kubeconfig $KC -A -c pods 2>$TMP/dash.err"
tmux -L "$SOCK" set-option -t s remain-on-exit on >/dev/null
DASH=$(tmux -L "$SOCK" display -p -t s '#{pane_pid}')
"$PODIUM" --kubeconfig "$KC" get pods -A -w --output-watch-events >"$TMP/watch.out" 2>"$TMP/watch.err" &
WATCH=$!
start=$(date +%s)
echo "soak: $PODS pods, ${#DEPLOYS[@]} deployments, $SECS s, a fault every $EVERY s"

# churn: one change about every 0.3 s, through podium (faults make some fail)
(
	i=0
	while :; do
		d=${DEPLOYS[RANDOM % ${#DEPLOYS[@]}]}
		ns=${d% *} name=${d#* }
		case $((i % 4)) in
		0) p -n "$ns" scale "deployment/$name" --replicas $((8 + RANDOM % 5)) ;;
		1) p -n "$ns" rollout restart "deployment/$name" ;;
		*) pod=$(p -n "$ns" get pods -o name 2>/dev/null | shuf -n 1)
		   [ -n "$pod" ] && p -n "$ns" delete "$pod" ;;
		esac >/dev/null 2>&1
		i=$((i + 1))
		sleep 0.3
	done
) &
CHURN=$!
# faults: one every EVERY seconds, cleared after it
(
	faults=(drop-watches errors=0.2 expire-watches throttle=2 latency=200 drop-watches errors=0.2 expire-watches stall=20)
	i=0
	while :; do
		f=${faults[i % ${#faults[@]}]}
		"$PODIUM" sim fault --kubeconfig "$KC" "$f" >/dev/null 2>&1
		echo "$(($(date +%s) - start)) $f" >>"$TMP/faults.log"
		case $f in stall=*) sleep 22 ;; *) sleep "$EVERY" ;; esac
		"$PODIUM" sim fault --kubeconfig "$KC" clear >/dev/null 2>&1
		i=$((i + 1))
	done
) &
FAULTS=$!

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
rss1= rssmax=0
while [ $(($(date +%s) - start)) -lt "$SECS" ]; do
	sleep 5
	now=$(($(date +%s) - start))
	r=$(rss "$DASH")
	[ -n "$r" ] || break
	[ "$r" -gt "$rssmax" ] && rssmax=$r
	[ -z "$rss1" ] && [ "$now" -ge 60 ] && rss1=$r
done
kill "$CHURN" "$FAULTS" 2>/dev/null
wait "$CHURN" "$FAULTS" 2>/dev/null
CHURN= FAULTS=
"$PODIUM" sim fault --kubeconfig "$KC" clear >/dev/null 2>&1
echo "soak: churn and faults stopped after $(($(date +%s) - start)) s ($(wc -l <"$TMP/faults.log") faults); settling"

alive() { kill -0 "$1" 2>/dev/null && echo 1 || echo 0; }
# the watch's view: replay its rows; ADDED/MODIFIED put, DELETED removes
watch_view() {
	awk 'NR > 1 && $1 != "EVENT" { if ($1 == "DELETED") delete s[$2 "/" $3]; else s[$2 "/" $3] = 1 }
	     END { for (k in s) print k }' "$TMP/watch.out" | sort
}
list_view() { p get pods -A | awk 'NR > 1 {print $1 "/" $2}' | sort; }
dash_count() { tmux -L "$SOCK" capture-pane -p -t s 2>/dev/null | grep -o 'pods@all \[[0-9]*\]' | head -1 | tr -dc 0-9; }
# converged: the views agree with two LISTs in a row (the cluster settles
# too: pods terminating, replica sets catching up), up to 120 s
settle=0 same=0
for ((t = 0; t < 120; t += 2)); do
	list_view >"$TMP/list.1"
	watch_view >"$TMP/watch.v"
	dc=$(dash_count)
	if cmp -s "$TMP/list.1" "$TMP/watch.v" && [ "${dc:-x}" = "$(wc -l <"$TMP/list.1")" ]; then
		same=$((same + 1))
		[ $same -ge 2 ] && break
	else
		same=0
	fi
	settle=$((settle + 2))
	sleep 2
done
list_view >"$TMP/list.1"
watch_view >"$TMP/watch.v"
n_list=$(wc -l <"$TMP/list.1")
n_watch=$(wc -l <"$TMP/watch.v")
n_diff=$(comm -3 "$TMP/list.1" "$TMP/watch.v" | wc -l)
dc=$(dash_count)
rss_end=$(rss "$DASH")
echo "figures:"
printf '  watch rows received: %d; settled after %d s\n' "$(wc -l <"$TMP/watch.out")" "$settle"
printf '  pods: fresh LIST %d, get -w view %d (%d differ), dashboard breadcrumb %s\n' \
	"$n_list" "$n_watch" "$n_diff" "${dc:-none}"
printf '  dashboard RSS: %s kB after 1 min, %s kB at the end, %s kB peak\n' "${rss1:-?}" "${rss_end:-?}" "$rssmax"
echo "checks:"
check "$(alive "$SIM")" "podium sim still running"
check "$(alive "$DASH")" "dashboard still running$(kill -0 "$DASH" 2>/dev/null || echo " (exit status $(tmux -L "$SOCK" display -p -t s '#{pane_dead_status}') $(tail -c 300 "$TMP/dash.err"))")"
check "$(alive "$WATCH")" "get -w still running ($(tail -1 "$TMP/watch.err" 2>/dev/null))"
check "$([ "$n_diff" -eq 0 ] && echo 1 || echo 0)" "get -w view equals a fresh LIST"
check "$([ "${dc:-x}" = "$n_list" ] && echo 1 || echo 0)" "dashboard count equals the real count"
if [ -n "$rss1" ] && [ -n "$rss_end" ]; then
	check "$([ $((rss_end * 100)) -le $((rss1 * 110)) ] && echo 1 || echo 0)" \
		"dashboard RSS within 10% of its level after the first minute ($((rss_end * 100 / rss1))%)"
else
	echo "  (run shorter than a minute: no memory check)"
fi
if [ ${#failures[@]} -gt 0 ]; then
	comm -3 "$TMP/list.1" "$TMP/watch.v" | head -5 | sed 's/^/  differs: /'
	exit 1
fi
