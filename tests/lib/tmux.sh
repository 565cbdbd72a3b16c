# tests/lib/tmux.sh - drive podium's dashboard in tmux and read the screen.
# Sourced by the end-to-end tests. Each test gets its own tmux server (a
# private socket), killed on exit with everything it started.
set -u
: "${PODIUM:?PODIUM must name the podium binary}"
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 77; }

E2E_SOCK="podium-e2e-$$"
E2E_TMP=$(mktemp -d "${PODIUM_TEST_TMP:-/tmp}/e2e.XXXXXX")
tmx() { tmux -L "$E2E_SOCK" "$@"; }
e2e_cleanup() {
	tmx kill-server 2>/dev/null
	[ -n "${E2E_EXTRA_CLEANUP:-}" ] && eval "$E2E_EXTRA_CLEANUP"
	rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

# The dashboard's configuration and remembered views are the test's own.
mkdir -p "$E2E_TMP/config" "$E2E_TMP/state"

# e2e_start W H CMD...: run CMD in a W x H pane, UTF-8, 256 colours.
# E2E_ENV (words like TERM=vt100 LANG=C) is added after those, so it wins.
e2e_start() {
	local w=$1 h=$2; shift 2
	tmx -f /dev/null new-session -d -s t -x "$w" -y "$h" \
		"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_CONFIG_HOME=$E2E_TMP/config XDG_STATE_HOME=$E2E_TMP/state ${E2E_ENV:-} $*; echo '[exited '\$?']'; sleep 30"
	tmx set-option -t t remain-on-exit on >/dev/null
}

e2e_screen() { tmx capture-pane -p -t t; }

# e2e_stop: end the session and its tmux server, and wait until the server
# is gone (a new session on a dying server fails with "server exited
# unexpectedly").
e2e_stop() {
	tmx kill-server 2>/dev/null
	local i
	for ((i = 0; i < 100; i++)); do
		tmx has-session 2>/dev/null || return 0
		sleep 0.02
	done
}

# e2e_keys KEYS...: tmux send-keys (names like Escape, Enter, C-d work).
e2e_keys() { tmx send-keys -t t "$@"; }
# e2e_type TEXT: literal text.
e2e_type() { tmx send-keys -t t -l "$1"; }

# e2e_wait TEXT [SECONDS]: until the screen shows TEXT (fixed string).
e2e_wait() {
	local text=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		e2e_screen | grep -qF -- "$text" && return 0
		sleep 0.05
	done
	echo "timed out waiting for: $text"; echo "--- screen:"; e2e_screen
	return 1
}

# e2e_wait_gone TEXT [SECONDS]: until the screen no longer shows TEXT.
e2e_wait_gone() {
	local text=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		e2e_screen | grep -qF -- "$text" || return 0
		sleep 0.05
	done
	echo "timed out waiting for this to go: $text"; echo "--- screen:"; e2e_screen
	return 1
}

fail() { echo "FAIL: $*"; echo "--- screen:"; e2e_screen; exit 1; }

# e2e_demo_web: on a `podium sim --demo` dashboard, open the deployments
# view and filter it down to web (selected), checking each step.
e2e_demo_web() {
	e2e_type ":deploy"; e2e_keys Enter
	e2e_wait "deployments@default" || fail ":deploy did not open deployments"
	e2e_wait "broken" || fail "deployments not listed"
	e2e_type "/web"; e2e_keys Enter
	e2e_wait_gone "broken" || fail "the filter did not hide other rows"
	e2e_screen | grep -q "^web " || fail "web not shown under the filter"
}
