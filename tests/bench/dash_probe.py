"""dash_probe.py - the measuring half of tests/bench/dashboard.sh.

  churn URL TOKEN CAFILE NS RATE SECONDS   RATE pod changes a second: the
                                           restart count of one of NS's first
                                           200 pods goes up (some are on screen)
  screen SESSION SOCKET PIPEFILE SECONDS   what changed on screen against what
                                           was written to the terminal
  latency SESSION SOCKET PIPEFILE N        keypress-to-bytes latency, N presses

Only talks to the loopback API server that the script started.
"""
import http.client, json, ssl, statistics, subprocess, sys, time, os, urllib.parse


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
    prev, changed, frames, runs = capture(session, sock), 0, 0, 0
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
                inrun = ca != cb
        prev = cur
    el = time.monotonic() - start
    wrote = os.path.getsize(pipefile) - b0
    print("screen: %.0f bytes/s changed on screen, %.0f bytes/s written to the terminal: %.2fx "
          "(target <= 2x); %.1f redraws/s, %.1f screen changes/s seen"
          % (changed / el, wrote / el, wrote / max(changed, 1), bursts / el, frames / el))
    # Each run of changed cells takes at least one byte of cursor motion to
    # reach (LF, BS, CR: a move to another row and column takes more), so no
    # terminal stream can write these changes in fewer bytes than this.
    print("screen: %.0f runs of changed cells a second; the fewest bytes any stream needs: %.0f "
          "bytes/s = %.2fx the changed bytes" % (runs / el, (changed + runs) / el,
                                                 (changed + runs) / max(changed, 1)))


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
