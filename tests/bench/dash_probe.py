"""dash_probe.py - the measuring half of tests/bench/dashboard.sh.

  churn URL TOKEN CAFILE NS RATE SECONDS   RATE pod changes a second: the
                                           restart count of one of NS's first
                                           200 pods goes up (some are on screen)
  screen SESSION SOCKET PIPEFILE SECONDS   what changed on screen against what
                                           was written to the terminal, the
                                           fewest bytes any stream needs for
                                           those changes, and what the written
                                           bytes were (motion, SGR, text)
  latency SESSION SOCKET PIPEFILE N        keypress-to-bytes latency, N presses

Only talks to the loopback API server that the script started.
"""
import http.client, json, os, re, ssl, statistics, subprocess, sys, time, urllib.parse


def churn(url, token, cafile, ns, rate, secs):
    u = urllib.parse.urlparse(url)
    ctx = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
    hdr = {"Authorization": "Bearer " + token, "Accept": "application/json"}
    conn.request("GET", "/api/v1/namespaces/%s/pods?limit=200" % ns, headers=hdr)
    items = json.loads(conn.getresponse().read())["items"]
    pods = [(p["metadata"]["name"], p["status"].get("containerStatuses", [])) for p in items]
    hdr["Content-Type"] = "application/merge-patch+json"
    n, start, failed = 0, time.monotonic(), 0
    while time.monotonic() - start < secs:
        due = start + n / rate
        if time.monotonic() < due:
            time.sleep(due - time.monotonic())
        name, cs = pods[n % len(pods)]
        for c in cs:
            c["restartCount"] = c.get("restartCount", 0) + 1
        body = json.dumps({"status": {"containerStatuses": cs}})
        conn.request("PATCH", "/api/v1/namespaces/%s/pods/%s/status" % (ns, name), body, hdr)
        r = conn.getresponse()
        r.read()
        failed += r.status != 200
        n += 1
    print("churn: %d pod status changes in %.1f s (%d refused)" % (n, time.monotonic() - start, failed))


def capture(session, sock):
    return subprocess.run(["tmux", "-L", sock, "capture-pane", "-p", "-t", session],
                          check=True, capture_output=True).stdout.decode("utf-8", "replace").split("\n")


def screen(session, sock, pipefile, secs):
    """Every 20 ms: the screen's text (capture-pane) against the last one,
    counting the bytes of the characters that changed; and the bytes the
    dashboard wrote (the pipe-pane file), counting bursts (redraws) as runs
    of growth separated by 30 ms without."""
    prev, changed, frames, runs, motion = capture(session, sock), 0, 0, 0, 0
    b0 = last_size = os.path.getsize(pipefile)
    last_growth, bursts = 0.0, 0
    start = time.monotonic()
    while time.monotonic() - start < secs:
        time.sleep(0.02)
        now, size = time.monotonic(), os.path.getsize(pipefile)
        if size != last_size:
            if now - last_growth > 0.03:
                bursts += 1
            last_growth, last_size = now, size
        cur = capture(session, sock)
        if cur == prev:
            continue
        frames += 1
        spans = []
        for i in range(max(len(cur), len(prev))):
            a = prev[i] if i < len(prev) else ""
            b = cur[i] if i < len(cur) else ""
            if a == b:
                continue
            inrun = False
            for j in range(max(len(a), len(b))):
                ca = a[j] if j < len(a) else " "
                cb = b[j] if j < len(b) else " "
                if ca != cb:
                    changed += len(cb.encode("utf-8"))
                    runs += not inrun
                    if inrun:
                        spans[-1][2] = j
                    else:
                        spans.append([i, j, j])
                inrun = ca != cb
        motion += least_motion(spans, max(len(l) for l in cur + prev))
        prev = cur
    el = time.monotonic() - start
    wrote = os.path.getsize(pipefile) - b0
    print("screen: %.0f bytes/s changed on screen, %.0f bytes/s written to the terminal: %.2fx "
          "(target <= 2x); %.1f redraws/s, %.1f screen changes/s seen"
          % (changed / el, wrote / el, wrote / max(changed, 1), bursts / el, frames / el))
    # The fewest bytes any terminal stream needs for these changes: their
    # text, and for each run of changed cells the cursor motion to reach it
    # (least_motion); colours not counted.
    print("screen: %.0f runs of changed cells a second; the fewest bytes any stream needs: %.0f "
          "bytes/s = %.2fx the changed bytes (text and cursor motion, colours not counted)"
          % (runs / el, (changed + motion) / el, (changed + motion) / max(changed, 1)))
    with open(pipefile, "rb") as f:
        f.seek(b0)
        kinds = classify(f.read())
    print("screen: written: " + ", ".join("%s %.0f bytes/s (%.0f%%)" % (k, n / el, 100.0 * n / max(wrote, 1))
                                         for k, n in kinds))

def least_motion(spans, width):
    """A lower bound on the cursor-motion bytes that reach the runs of
    changed cells of one screen change ([row, first, last] each), whatever
    the order they are written in. Writing a run leaves the cursor after
    it. One run may be where the cursor already is; each other run costs
    at least what the cheapest way to it from the end of another run
    does: 1 byte on the same row (BS, CR, TAB, or rewriting one unchanged
    cell), 1 byte straight down to the same column (LF, with the tty's
    ONLCR off), 2 bytes to another row and column (LF and BS at best: no
    single byte moves both ways), 0 after the last column (the autowrap)."""
    def cost(p, q):
        r, c = p[0], p[2] + 1
        if c >= width and q[0] == r + 1 and q[1] == 0:
            return 0
        if q[0] == r:
            return 0 if q[1] == c else 1
        return 1 if q[1] == c else 2
    if len(spans) < 2:
        return 0
    need = [min(cost(p, q) for p in spans if p is not q) for q in spans]
    return sum(need) - max(need)


CSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]")


def classify(data):
    """The bytes of a terminal stream by what they do: cursor motion (CUP,
    VPA, HPA, CUU..CUB, BS, CR, LF), SGR (with the charset designation
    sgr0 sends), text, and anything else."""
    n = {"motion": 0, "SGR": 0, "text": 0, "other": 0}
    i = 0
    while i < len(data):
        b = data[i]
        if b == 0x1B:
            m = CSI.match(data, i)
            if m:
                fin = chr(m.group()[-1])
                n["SGR" if fin == "m" else "motion" if fin in "HfdGABCDE" else "other"] += m.end() - i
                i = m.end()
            elif data[i + 1:i + 2] in (b"(", b")"):
                n["SGR"] += 3
                i += 3
            else:
                n["other"] += 2
                i += 2
            continue
        n["motion" if b in (8, 10, 13) else "other" if b < 0x20 or b == 0x7F else "text"] += 1
        i += 1
    return sorted(n.items(), key=lambda kv: -kv[1])


def latency(session, sock, pipefile, n):
    times = []
    for i in range(n):
        before = os.path.getsize(pipefile)
        t0 = time.monotonic()
        subprocess.run(["tmux", "-L", sock, "send-keys", "-t", session, "j" if i % 2 == 0 else "k"], check=True)
        while os.path.getsize(pipefile) == before and time.monotonic() - t0 < 2:
            time.sleep(0.0005)
        times.append((time.monotonic() - t0) * 1000)
        time.sleep(0.1)
    print("keypress to screen: median %.1f ms, worst %.1f ms (%d presses, includes tmux)"
          % (statistics.median(times), max(times), n))


if __name__ == "__main__":
    if sys.argv[1] == "churn":
        churn(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]), float(sys.argv[7]))
    elif sys.argv[1] == "screen":
        screen(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    else:
        latency(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
