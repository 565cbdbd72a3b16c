# tests/lib/sim.sh - start `podium sim` for a test and stop it at exit.
# Sourced; needs PODIUM. sim_start NAME ARGS... writes $SIM_TMP/NAME.kc
# (the kubeconfig) and $SIM_TMP/NAME.url, and waits for the URL line.
: "${PODIUM:?PODIUM must name the podium binary}"
SIM_TMP=$(mktemp -d "${PODIUM_TEST_TMP:-/tmp}/sim.XXXXXX")
SIM_PIDS=()
sim_cleanup() {
	for p in "${SIM_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${SIM_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$SIM_TMP"
}

sim_start() {
	local name=$1; shift
	"$PODIUM" sim --listen 127.0.0.1:0 --kubeconfig-out "$SIM_TMP/$name.kc" "$@" \
		>"$SIM_TMP/$name.url" 2>"$SIM_TMP/$name.err" &
	SIM_PIDS+=($!)
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$SIM_TMP/$name.url" ] && return 0
		sleep 0.1
	done
	echo "podium sim $name printed no URL: $(cat "$SIM_TMP/$name.err")"
	return 1
}

# sim_wait DESC CMD...: retry CMD for up to 30 s.
sim_wait() {
	local desc=$1 i; shift
	for ((i = 0; i < 150; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "timed out waiting for $desc"
	return 1
}
