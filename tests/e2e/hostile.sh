#!/usr/bin/env bash
# hostile.sh - the dashboard draws hostile cluster text harmlessly. The
# payloads of tests/data/hostile sit in a pod's annotations, its log (with
# a 1 MB line) and an event; the dashboard shows the pods list, describe,
# YAML, the log view and the events view while tmux pipe-pane records every
# byte it writes. The stream may hold the dashboard's own CSI sequences; it
# must hold no OSC (clipboard, title, hyperlink), DCS or PM, no terminal
# query, no C1 control, no bidi control, and never a payload's erase
# display after its text.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }

sim_start hostile --speed 20 || exit 1
KC=$SIM_TMP/hostile.kc
cd "$E2E_TMP" || exit 1
python3 "$TOP/tests/lib/hostile.py" "$TOP/tests/data/hostile" || fail "could not write the manifests"
"$PODIUM" --kubeconfig "$KC" apply -f pod.json >/dev/null || fail "apply pod.json"
"$PODIUM" --kubeconfig "$KC" apply -f event.json >/dev/null || fail "apply event.json"
sim_wait "the hostile pod running" sh -c "'$PODIUM' --kubeconfig '$KC' get pod hostile | grep -q Running" || exit 1

BYTES=$E2E_TMP/bytes
e2e_start 160 40 "$PODIUM" --kubeconfig "$KC"
tmx pipe-pane -t t -o "cat >> $BYTES"
e2e_type ":pods"; e2e_keys Enter
e2e_wait "pods@default" || fail "no pods view"
e2e_wait "hostile" 20 || fail "the hostile pod is not listed"
e2e_type "/hostile"; e2e_keys Enter
e2e_keys d
e2e_wait "hostile.example/clear-screen" 20 || fail "describe does not show the annotations"
e2e_keys Escape y
e2e_wait "hostile.example/osc52-clipboard" 20 || fail "the YAML does not show the annotations"
e2e_keys Escape l
e2e_wait "before" 20 || fail "the log view does not show the echoed text"
e2e_wait "AAAAAAAA" 20 || fail "the log view does not show the 1 MB line"
e2e_keys G
sleep 1
e2e_keys Escape
e2e_type ":events"; e2e_keys Enter
e2e_wait "events@" || fail "no events view"
e2e_wait "hostile" 20 || fail "the hostile event is not listed"
e2e_keys y
e2e_wait "copy" 20 || fail "the hostile event's YAML is not shown"
e2e_keys Escape
e2e_type ":q"; e2e_keys Enter
e2e_wait "[exited 0]" || fail ":q did not exit 0"
tmx pipe-pane -t t

[ -s "$BYTES" ] || fail "pipe-pane recorded nothing"
# bad PATTERN WHAT: the recorded stream must not match PATTERN (bytes).
bad() {
	if LC_ALL=C grep -qaP "$1" "$BYTES"; then
		echo "--- around the first match (od):"
		LC_ALL=C grep -aoP ".{0,30}(?:$1).{0,30}" "$BYTES" | head -1 | od -c | head -12
		fail "$2 reached the terminal"
	fi
}
bad '\x1b\]' "an OSC sequence (clipboard, title, hyperlink)"
bad '\x1bP|\x1b\^|\x1b_' "a DCS, PM or APC string"
bad '\x1b\[6n|\x1b\[21t|\x1b\[\d*c' "a terminal query"
bad '\xc2[\x80-\x9f]' "a C1 control"
bad '\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "a bidi control"
bad 'before\x1b\[2J|copy\x1b|click \x1b|title\x1b' "a payload's own escape sequence"
bad '\x07' "a BEL"
grep -qa "hostile.example/clear-screen" "$BYTES" && grep -qa "before" "$BYTES" ||
	fail "the recording lacks the payloads' text: nothing was checked"
echo "hostile e2e ok: $(wc -c <"$BYTES") bytes recorded, none from the payloads"
