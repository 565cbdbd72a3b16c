#!/usr/bin/env bash
# dashboard.sh - the dashboard against `podium sim` seeded with 10,000 pods,
# in tmux at 200x50: time to the first full frame, resident memory, CPU
# while idle; under 100 pod changes a second (restart counts going up, some
# on screen) CPU, redraws per second, and the bytes written to the terminal
# against the bytes that changed on screen (capture-pane every 20 ms);
# keypress-to-screen latency. Targets (issue 6): first frame <= 1.5 s,
# memory <= 64 MB, idle CPU <= 1%, keypress <= 20 ms, terminal bytes within
# 2x of the changed bytes (the floor any stream has for such changes, and
# what the written bytes are: motion, SGR, text, are printed too).
set -u
: "${PODIUM:?}"
command -v tmux >/dev/null || { echo "tmux missing"; exit 77; }
TMP=$(mktemp -d /tmp/podium-dash-bench.XXXXXX)
SOCK=podium-bench-$$
SIM=
AGE=${DASH_SEED_AGE:-2h} # how long ago the pods were made: ages tick by the minute, as on a settled cluster
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	[ -n "$SIM" ] && kill "$SIM" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

"$PODIUM" sim --listen 127.0.0.1:0 --tls --token bench --seed-pods 10000 --seed-age "$AGE" \
	--kubeconfig-out "$TMP/kc" >"$TMP/url" 2>"$TMP/sim.err" &
SIM=$!
for _ in $(seq 200); do [ -s "$TMP/url" ] && break; sleep 0.1; done
URL=$(cat "$TMP/url")
[ -n "$URL" ] || { echo "podium sim did not start: $(cat "$TMP/sim.err")"; exit 1; }
grep 'certificate-authority-data' "$TMP/kc" | awk '{print $2}' | base64 -d >"$TMP/ca.pem"
NS=$(kubectl --kubeconfig "$TMP/kc" get pods -A --no-headers 2>/dev/null | awk 'NR==1{print $1}')

start=$(date +%s.%N)
tmux -L "$SOCK" -f /dev/null new-session -d -s b -x 200 -y 50 \
	"env TERM=xterm-256color LANG=C.UTF-8 $PODIUM --kubeconfig $TMP/kc -A -c pods"
tmux -L "$SOCK" pipe-pane -t b -o "cat >> $TMP/bytes"
for _ in $(seq 600); do
	tmux -L "$SOCK" capture-pane -p -t b | grep -q '\[10000\]' && break
	sleep 0.01
done
first=$(echo "$(date +%s.%N) - $start" | bc)
PID=$(pgrep -f "^$PODIUM --kubeconfig $TMP/kc" | head -1)
printf 'first full frame (10,000 pods): %.2f s   (target <= 1.5 s)\n' "$first"

cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)
sleep 2
c0=$(cpu); sleep 10; c1=$(cpu)
printf 'idle CPU while watching: %.2f %%   (target <= 1 %%)\n' "$(echo "($c1 - $c0) * 100 / $HZ / 10" | bc -l)"
printf 'resident memory: %d MB now, %d MB peak   (target <= 64 MB)\n' \
	$(($(awk '/VmRSS/{print $2}' /proc/$PID/status) / 1024)) $(($(awk '/VmHWM/{print $2}' /proc/$PID/status) / 1024))

c0=$(cpu)
/usr/bin/python3 "$TOP/tests/bench/dash_probe.py" churn "$URL" bench "$TMP/ca.pem" "$NS" 100 10 &
CHURN=$!
/usr/bin/python3 "$TOP/tests/bench/dash_probe.py" screen b "$SOCK" "$TMP/bytes" 10
wait $CHURN
c1=$(cpu)
printf 'under 100 pod changes/s: CPU %.1f %%\n' "$(echo "($c1 - $c0) * 100 / $HZ / 10" | bc -l)"
/usr/bin/python3 "$TOP/tests/bench/dash_probe.py" latency b "$SOCK" "$TMP/bytes" 20
printf 'sim server memory with 10,000 pods: %d MB\n' $(($(awk '/VmRSS/{print $2}' /proc/$SIM/status) / 1024))
