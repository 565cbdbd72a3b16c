"""dash_probe.py - the measuring half of tests/bench/dashboard.sh.

  churn URL TOKEN CAFILE NS RATE SECONDS   patch pod labels RATE times a second
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
    pods = [p["metadata"]["name"] for p in json.loads(conn.getresponse().read())["items"]]
    hdr["Content-Type"] = "application/merge-patch+json"
    n, start = 0, time.monotonic()
    while time.monotonic() - start < secs:
        due = start + n / rate
        if time.monotonic() < due:
            time.sleep(due - time.monotonic())
        body = json.dumps({"metadata": {"labels": {"churn": str(n)}}})
        conn.request("PATCH", "/api/v1/namespaces/%s/pods/%s" % (ns, pods[n % len(pods)]), body, hdr)
        conn.getresponse().read()
        n += 1
    print("churn: %d patches in %.1f s" % (n, time.monotonic() - start))


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
    else:
        latency(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
