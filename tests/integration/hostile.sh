#!/usr/bin/env bash
# hostile.sh - cluster strings cannot drive the terminal. The payloads of
# tests/data/hostile (erase display, OSC 52 clipboard, OSC 8 links, title
# sets, C1 controls, bidi overrides, terminal queries) and a 1 MB line go
# into annotations, label values, a container's log (the simulated kubelet
# logs what `echo` prints), an Event's reason and message, and Status
# messages (names and values the server refuses); podium get -o wide,
# describe, logs and events and the error lines are then read byte by byte:
# no ESC, no other C0 but newline, no DEL, no C1, no bidi control, valid
# UTF-8. Invalid UTF-8 cannot travel in the API's JSON: a small server
# sends all the payloads as raw bytes, as a log and as a 500 answer.
set -u
: "${PODIUM:?}" "${TOP:?}"
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
. "$TOP/tests/lib/sim.sh"
T=$(mktemp -d "${PODIUM_TEST_TMP:-/tmp}/hostile.XXXXXX")
trap 'sim_cleanup; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
H=$TOP/tests/data/hostile
cd "$T" || exit 1

sim_start h || exit 1
KC=$SIM_TMP/h.kc
p() { timeout 60 "$PODIUM" --kubeconfig "$KC" "$@"; }

# clean FILE WHAT: FILE holds nothing a terminal acts on.
clean() {
	local f=$1 what=$2
	if LC_ALL=C grep -qaP '\x1b|[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$f"; then
		echo "--- $what, offending lines (od):"
		LC_ALL=C grep -naP '\x1b|[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$f" |
			head -3 | cut -c1-200 | od -c | head -20
		fail "$what: a control, C1 or bidi byte reached the terminal"
	fi
	iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || fail "$what: invalid UTF-8 reached the terminal"
}
checked=0
# run WHAT ARGS...: podium ARGS; stdout and stderr both clean.
run() {
	local what=$1; shift
	p "$@" >out 2>err
	clean out "$what (stdout)"
	clean err "$what (stderr)"
	checked=$((checked + 1))
}

# The manifests: JSON strings carry the payloads (\u escapes for controls).
python3 "$TOP/tests/lib/hostile.py" "$H" || fail "could not write the manifests"

p apply -f pod.json >apply.out 2>&1 || fail "apply of the hostile pod: $(head -c 500 apply.out)"
p apply -f event.json >apply.out 2>&1 || fail "apply of the hostile event: $(head -c 500 apply.out)"
sim_wait "the hostile pod running" sh -c "'$PODIUM' --kubeconfig '$KC' get pod hostile | grep -q Running" || exit 1

run "get -o wide" get pods -o wide
run "get -A --show-labels" get pods -A --show-labels
run "describe pod" describe pod hostile
grep -q "hostile.example/clear-screen" out || fail "describe does not show the annotations"
run "logs" logs hostile
[ "$(wc -c <out)" -gt 1000000 ] || fail "the 1 MB log line did not come through: $(wc -c <out) bytes"
grep -q "before" out || fail "the logs lost the text around the payloads"
run "logs --timestamps" logs hostile --timestamps
run "events" events
grep -q "Warning" out || fail "the hostile event is not listed: $(head -c 300 out)"
run "get events" get events
run "describe (events)" describe pod hostile

for f in "$H"/*; do
	k=$(basename "$f")
	[ "$k" = README ] && continue
	payload=$(cat "$f")
	run "get pod NAME($k)" get pod "$payload"
	[ -s err ] || fail "get pod NAME($k): no error line"
	run "describe pod NAME($k)" describe pod "$payload"
	run "logs NAME($k)" logs "$payload"
	run "get -l ($k)" get pods -l "app=$payload"
	if [ -f "bad-label-$k.json" ]; then
		run "apply bad label ($k)" apply -f "bad-label-$k.json"
		[ -s err ] || fail "apply of a bad label value ($k) gave no error"
		run "apply bad name ($k)" apply -f "bad-name-$k.json"
		[ -s err ] || fail "apply of a bad name ($k) gave no error"
	fi
done
# Raw bytes (invalid UTF-8 too) straight from a server: a log, and an error
# answer that is no JSON at all.
cat >raw_server.py <<'PY'
import http.server, os, sys
h = sys.argv[1]
raw = b"\n".join(open(os.path.join(h, f), "rb").read() for f in sorted(os.listdir(h)) if f != "README") + b"\n"
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        body, code, ctype = raw, 500, "application/json"
        if path.endswith("/log"):
            code, ctype = 200, "text/plain"
        elif path == "/api/v1/namespaces/default/pods/somepod":
            code = 200
            body = (b'{"kind":"Pod","apiVersion":"v1","metadata":{"name":"somepod","namespace":"default"},'
                    b'"spec":{"containers":[{"name":"c","image":"busybox"}]},"status":{"phase":"Running"}}')
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open("raw.port", "w").write(str(s.server_port))
s.serve_forever()
PY
python3 raw_server.py "$H" &
RAW=$!
trap 'kill $RAW 2>/dev/null; sim_cleanup; rm -rf "$T"' EXIT
sim_wait "the raw server" test -s raw.port || exit 1
cat >raw.kc <<KC
apiVersion: v1
kind: Config
clusters: [{name: r, cluster: {server: "http://127.0.0.1:$(cat raw.port)"}}]
users: [{name: u, user: {}}]
contexts: [{name: r, context: {cluster: r, user: u, namespace: default}}]
current-context: r
KC
rawp() { timeout 30 "$PODIUM" --kubeconfig raw.kc "$@"; }
rawp logs somepod >out 2>err
clean out "raw logs (stdout)"
clean err "raw logs (stderr)"
grep -q "invalid" out || fail "the raw log did not come through: $(head -c 300 out)"
for args in "get pods" "get pods -o wide" "describe pod x" "events"; do
	rawp $args >out 2>err
	clean out "raw 500 answer to $args (stdout)"
	clean err "raw 500 answer to $args (stderr)"
	checked=$((checked + 1))
done
echo "ok: $checked podium runs, every stdout and stderr clean"
