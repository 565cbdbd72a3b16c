#!/usr/bin/env bash
# term_bytes.sh - the dashboard writes only what changed: in tmux at
# 200x50 against `podium sim` (40 pods seeded 10 h ago, so no age moves
# while the test runs), one pod's restart count goes up; the bytes the
# dashboard writes for it (tmux pipe-pane) are that one digit as text, one
# cursor move to it (no move back to park the hidden cursor afterwards) and
# its colour set and reset: no line written again, no screen cleared.
# Then a second pod: the same again.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }

sim_start b --seed-pods 40 --seed-age 10h || exit 1
KC=$SIM_TMP/b.kc
k() { timeout 20 kubectl --kubeconfig "$KC" "$@"; }

e2e_start 200 50 "$PODIUM" --kubeconfig "$KC" -A -c pods
BYTES=$E2E_TMP/bytes
tmx pipe-pane -t t -o "cat >> $BYTES"
e2e_wait "[40]" 20 || fail "the pods did not load"

size() { stat -c %s "$BYTES" 2>/dev/null || echo 0; }
# quiet: until nothing has been written for a second (the first frame and
# any redraw after it done).
quiet() {
	local i last=-1 same=0
	for ((i = 0; i < 200; i++)); do
		local s
		s=$(size)
		if [ "$s" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 20 ] && return 0
		else
			same=0 last=$s
		fi
		sleep 0.05
	done
	fail "the dashboard kept writing: $(size) bytes"
}

# bump ROW: the pod on screen row ROW (1-based) gets one more restart;
# checks what was written for it.
bump() {
	local row=$1 line ns name count
	line=$(e2e_screen | sed -n "${row}p")
	name=$(echo "$line" | awk '{print $1}')
	ns=$(echo "$line" | awk '{print $2}')
	count=$(echo "$line" | awk '{print $5}')
	[ -n "$name" ] && [ -n "$count" ] || fail "no pod on row $row"
	quiet
	local before
	before=$(size)
	k -n "$ns" patch pod "$name" --subresource=status --type=json \
		-p "[{\"op\":\"replace\",\"path\":\"/status/containerStatuses/0/restartCount\",\"value\":$((count + 1))}]" \
		>/dev/null || fail "kubectl patch $name failed"
	local i
	for ((i = 0; i < 100; i++)); do
		e2e_screen | sed -n "${row}p" | awk '{print $5}' | grep -qx "$((count + 1))" && break
		sleep 0.05
	done
	[ $i -lt 100 ] || fail "row $row did not show $((count + 1)) restarts"
	quiet
	tail -c +$((before + 1)) "$BYTES" >"$E2E_TMP/change"
	# The written bytes by kind (the bench's classifier), then what they
	# must be: the new digit, one move (a row and column address at most),
	# its colour and the reset after it.
	local kinds
	kinds=$(python3 -B -c "
import sys; sys.path.insert(0, '$TOP/tests/bench')
from dash_probe import classify
k = dict(classify(open('$E2E_TMP/change', 'rb').read()))
print(k['text'], k['motion'], k['SGR'], k['other'])") || fail "cannot classify the bytes"
	read -r text motion sgr other <<<"$kinds"
	local shown
	shown=$(cat -v "$E2E_TMP/change")
	[ "$text" = "${#count}" ] || [ "$text" = "$((${#count} + 1))" ] ||
		fail "row $row: $text bytes of text written for a ${#count}-digit count: $shown"
	[ "$motion" -le 9 ] || fail "row $row: $motion bytes of cursor motion (one move is at most 9): $shown"
	[ "$sgr" -le 24 ] || fail "row $row: $sgr bytes of SGR (a colour and a reset is 22): $shown"
	[ "$other" = 0 ] || fail "row $row: $other bytes neither text, motion nor SGR: $shown"
	echo "row $row: $name $count -> $((count + 1)): $(wc -c <"$E2E_TMP/change") bytes ($text text, $motion motion, $sgr SGR)"
}

bump 6
bump 9
e2e_stop
echo "term_bytes e2e ok"
