#!/usr/bin/env bash
# robust.sh - made for SSH, in tmux against `podium sim`: SIGTERM exits 0
# with the terminal restored, and a crash (SIGSEGV, SIGABRT) restores it too; when the terminal goes away (the tmux server
# killed: the pty closed) the dashboard exits instead of spinning, with
# SIGHUP and with SIGHUP blocked (only the end of input tells it); resize
# down to 40x10 (a dialog open) and smaller and back; NO_COLOR, TERM=xterm
# (8 colours) and TERM=vt100 (none) draw without the escapes the terminal
# lacks, TERM=dumb and an unknown TERM get one line and exit 1; LANG=C draws ASCII lines and marks and never a byte above 0x7f,
# even for a UTF-8 message from the cluster.
set -u
source "$TOP/tests/lib/tmux.sh"
source "$TOP/tests/lib/sim.sh"
E2E_EXTRA_CLEANUP=sim_cleanup
command -v kubectl >/dev/null || { echo "kubectl not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }

sim_start r --speed 20 --demo || exit 1
KC=$SIM_TMP/r.kc
k() { timeout 20 kubectl --kubeconfig "$KC" "$@"; }
sim_wait "web ready" sh -c "kubectl --kubeconfig $KC get deploy web -o jsonpath='{.status.readyReplicas}' | grep -qx 3" || exit 1

# Each scenario gets a tmux server of its own: a new one on the socket of
# one just killed can meet it still dying ("server exited unexpectedly").
NSRV=0
new_server() { NSRV=$((NSRV + 1)); E2E_SOCK="podium-e2e-$$-$NSRV"; }

# The dashboard's pid (the pane runs env, which execs it).
dash_pid() { pgrep -f "^$PODIUM --kubeconfig $KC" | head -1; }
# CPU ticks (user + system) a process has used.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
# The terminal as tmux sees the pane: alternate screen off, cursor shown.
restored() {
	[ "$(tmx display -p -t t '#{alternate_on}')" = 0 ] &&
		[ "$(tmx display -p -t t '#{cursor_flag}')" = 1 ]
}

# gone PID SECONDS: wait for PID to exit; fail if it spins meanwhile.
gone() {
	local pid=$1 secs=$2 i last=0 first
	first=$(cpu_ticks "$pid")
	for ((i = 0; i < secs * 20; i++)); do
		local t
		t=$(cpu_ticks "$pid") || break
		[ -n "$t" ] || break
		last=$t
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "FAIL: pid $pid still running after ${secs}s; it used $((last - ${first:-0})) ticks meanwhile"
		ps -o pid,stat,pcpu,time,args -p "$pid"
		kill -KILL "$pid"
		exit 1
	fi
	# ticks are 1/100 s: half a second of CPU on the way out is spinning
	if [ $((last - ${first:-0})) -gt 50 ]; then
		echo "FAIL: pid $pid used $((last - first)) ticks of CPU while exiting"
		exit 1
	fi
}

# ---- SIGTERM: exit 0, the terminal given back
new_server; e2e_start 100 30 "$PODIUM" --kubeconfig "$KC"
e2e_wait "models@all" || fail "no models view"
pid=$(dash_pid); [ -n "$pid" ] || fail "cannot find the dashboard"
kill -TERM "$pid"
e2e_wait "[exited 0]" || fail "SIGTERM did not exit 0"
restored || fail "the terminal was not restored after SIGTERM"
gone "$pid" 3
e2e_stop

# ---- a crash (SIGSEGV, SIGABRT) gives the terminal back too
for sig in SEGV ABRT; do
	new_server; e2e_start 100 30 "$PODIUM" --kubeconfig "$KC"
	e2e_wait "models@all" || fail "no models view"
	pid=$(dash_pid); [ -n "$pid" ] || fail "cannot find the dashboard"
	kill -$sig "$pid"
	e2e_wait "[exited " || fail "SIG$sig did not end the dashboard"
	e2e_screen | grep -q "exited 0" && fail "SIG$sig: exit status 0"
	restored || fail "the terminal was not restored after SIG$sig"
	gone "$pid" 3
	e2e_stop
done

# ---- the terminal goes away: SIGHUP, then no process left, no spinning
new_server; e2e_start 100 30 "$PODIUM" --kubeconfig "$KC"
e2e_wait "models@all" || fail "no models view"
pid=$(dash_pid); [ -n "$pid" ] || fail "cannot find the dashboard"
e2e_stop
gone "$pid" 5

# ---- the same with SIGHUP blocked: only the end of input says it
new_server; e2e_start 100 30 python3 -c "'import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP}); os.execv(sys.argv[1], sys.argv[1:])'" "$PODIUM" --kubeconfig "$KC"
e2e_wait "models@all" || fail "no models view (SIGHUP blocked)"
pid=$(dash_pid); [ -n "$pid" ] || fail "cannot find the dashboard"
grep -q '^SigBlk:.*[13579bdf]$' "/proc/$pid/status" || fail "SIGHUP is not blocked in the dashboard"
e2e_stop
gone "$pid" 5
echo "terminal gone: the dashboard exits, with and without SIGHUP"

# ---- resize down to 40x10 with a dialog open, smaller, and back
new_server; e2e_start 120 32 "$PODIUM" --kubeconfig "$KC" -c deploy
e2e_wait "deployments@default" || fail "no deployments view"
e2e_wait "web" || fail "web not listed"
e2e_type "/web"; e2e_keys Enter
e2e_wait_gone "broken" || fail "the filter did not apply"
e2e_keys s
e2e_wait "Scale web" || fail "no scale dialog"
for size in "40 10" "20 5" "1 1" "40 10" "120 32"; do
	set -- $size
	tmx resize-window -t t -x "$1" -y "$2"
	sleep 0.3
	kill -0 "$(dash_pid)" 2>/dev/null || fail "the dashboard died at $1x$2"
done
e2e_wait "Scale web" || fail "the dialog is not drawn again after the resize"
e2e_keys Escape
tmx resize-window -t t -x 40 -y 10
e2e_wait "podium" || fail "nothing drawn at 40x10"
tmx resize-window -t t -x 120 -y 32
e2e_wait "deployments@default" || fail "not redrawn after resize"
e2e_type ":q"; e2e_keys Enter
e2e_wait "[exited 0]" || fail ":q did not exit 0 after resizing"
e2e_stop

# ---- colours: what each terminal can show, and nothing it cannot
# bytes ENV...: the raw output of a dashboard with a scale dialog open.
bytes() {
	local out=$E2E_TMP/bytes.$RANDOM
	new_server; E2E_ENV="$*" e2e_start 100 30 "$PODIUM" --kubeconfig "$KC" -c deploy
	tmx pipe-pane -t t -o "cat >> $out"
	e2e_wait "deployments@default" >/dev/null || fail "no deployments view ($*)"
	e2e_wait "web" >/dev/null || fail "web not listed ($*)"
	e2e_type "/web"; e2e_keys Enter
	e2e_wait_gone "broken" >/dev/null || fail "no filter ($*)"
	e2e_keys s
	e2e_wait "Scale web" >/dev/null || fail "no dialog ($*)"
	SCREEN=$(e2e_screen)
	e2e_keys Escape; e2e_type ":q"; e2e_keys Enter
	e2e_wait "[exited 0]" >/dev/null || fail "did not exit 0 ($*)"
	tmx pipe-pane -t t
	e2e_stop
	BYTES=$out
}
# SGR sequences that set a colour: 30-37/40-47/90-97/100-107, 38;5;N, 48;5;N
has_256() { grep -qaE $'\e\\[([0-9;]*;)?[34]8;5;' "$1"; }
has_colour() { grep -qaE $'\e\\[([0-9;]*;)?([34][0-7]|9[0-7]|10[0-7]|[34]8;5;[0-9]+)(;[0-9;]*)?m' "$1"; }

bytes TERM=xterm-256color
has_256 "$BYTES" || fail "xterm-256color: no 256-colour escapes (the control case)"
bytes TERM=xterm-256color NO_COLOR=1
has_colour "$BYTES" && fail "NO_COLOR: colour escapes were written"
echo "$SCREEN" | grep -q "Scale web" || fail "NO_COLOR: the dialog is not drawn"
bytes TERM=xterm
has_256 "$BYTES" && fail "TERM=xterm (8 colours): 256-colour escapes were written"
has_colour "$BYTES" || fail "TERM=xterm: no colours at all"
bytes TERM=vt100
has_colour "$BYTES" && fail "TERM=vt100: colour escapes were written"
echo "$SCREEN" | grep -q "Scale web" || fail "TERM=vt100: the dialog is not drawn"
# inside tmux and screen (k9s #3722, #2810): their own terminal types
bytes TERM=tmux-256color
has_256 "$BYTES" || fail "TERM=tmux-256color: no 256-colour escapes"
bytes TERM=screen
has_256 "$BYTES" && fail "TERM=screen (8 colours): 256-colour escapes were written"
has_colour "$BYTES" || fail "TERM=screen: no colours at all"
echo "colours: 256, 8 and none as the terminal says"

# ---- terminals the dashboard cannot drive: one line and exit 1
for t in dumb no-such-terminal; do
	new_server; E2E_ENV="TERM=$t" e2e_start 100 30 "$PODIUM" --kubeconfig "$KC"
	e2e_wait "[exited 1]" || fail "TERM=$t did not exit 1"
	e2e_screen | grep -q "^podium: .*TERM=$t" || fail "TERM=$t: no podium: line"
	restored || fail "TERM=$t: the terminal was not restored"
	e2e_stop
done

# ---- LANG=C: ASCII lines and marks, and never a byte above 0x7f, even
# for a message from the cluster in UTF-8
k create --validate=false -f - >/dev/null <<JSON || fail "cannot create the UTF-8 event"
{"apiVersion":"v1","kind":"Event","metadata":{"name":"web.utf8","namespace":"default"},
 "involvedObject":{"kind":"Deployment","name":"web","namespace":"default"},
 "reason":"Caf\u00e9","type":"Normal","message":"na\u00efve \u2603 snow \u2014 \u6f22\u5b57 wide"}
JSON
bytes LANG=C LC_ALL=C
echo "$SCREEN" | grep -q " | " || fail "LANG=C: the header separators are not ASCII"
echo "$SCREEN" | grep -qE '^ *\+-+' || fail "LANG=C: the dialog border is not ASCII"
grep -qaP '[\x80-\xff]' "$BYTES" && fail "LANG=C: bytes above 0x7f were written"
# the event's text, drawn in ASCII
out=$E2E_TMP/bytes.ev
new_server; E2E_ENV="LANG=C LC_ALL=C" e2e_start 160 30 "$PODIUM" --kubeconfig "$KC" -c events
tmx pipe-pane -t t -o "cat >> $out"
e2e_wait "events@default" || fail "no events view"
e2e_type "/web.utf8"; e2e_keys Enter
e2e_wait "snow" 20 || fail "the UTF-8 event is not listed"
e2e_screen | grep -qF 'na?ve ? snow - ???? wide' || fail "the UTF-8 message is not drawn in ASCII"
e2e_keys y
e2e_wait "snow" || fail "no YAML of the event"
e2e_keys Escape; e2e_type ":q"; e2e_keys Enter
e2e_wait "[exited 0]" || fail "did not exit 0 under LANG=C"
tmx pipe-pane -t t
grep -qaP '[\x80-\xff]' "$out" && fail "LANG=C: a UTF-8 message reached the terminal as UTF-8"
e2e_stop
# the models view's sparklines and figures, and the help screen
out=$E2E_TMP/bytes.models
new_server; E2E_ENV="LANG=C LC_ALL=C" e2e_start 160 30 "$PODIUM" --kubeconfig "$KC" -c models
tmx pipe-pane -t t -o "cat >> $out"
e2e_wait "fashion-mnist" 20 || fail "no model deployment under LANG=C"
sleep 3
e2e_keys '?'
e2e_wait "command mode" || fail "no help under LANG=C"
e2e_keys Escape; e2e_type ":q"; e2e_keys Enter
e2e_wait "[exited 0]" || fail "did not exit 0 under LANG=C (models)"
tmx pipe-pane -t t
grep -qaP '[\x80-\xff]' "$out" && fail "LANG=C: the models view wrote bytes above 0x7f"
echo "robust e2e ok"
