"""sim_watchers.py - the measuring half of tests/bench/sim_scale.sh.

  URL TOKEN CAFILE NS WATCHERS CHANGES

Starts WATCHERS pod watches on namespace NS of the loopback API server the
script started, then labels CHANGES pods one at a time (each with a unique
value) and records, at every watcher, how long after the PATCH was sent the
MODIFIED event carrying that value arrived. Prints the median, p99 and max
delay over all watchers and changes. Bounded: at most CHANGES patches, and
every wait gives up after 10 s.
"""
import http.client, json, ssl, statistics, sys, threading, time, urllib.parse

url, token, cafile, ns = sys.argv[1:5]
watchers, changes = int(sys.argv[5]), int(sys.argv[6])
u = urllib.parse.urlparse(url)
ctx = ssl.create_default_context(cafile=cafile)
hdr = {"Authorization": "Bearer " + token, "Accept": "application/json"}


def conn():
    return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)


c = conn()
c.request("GET", "/api/v1/namespaces/%s/pods?limit=500" % ns, headers=hdr)
lst = json.loads(c.getresponse().read())
pods = [p["metadata"]["name"] for p in lst["items"]]
rv = lst["metadata"]["resourceVersion"]

sent = {}          # value -> monotonic time the PATCH was sent
arrived = []       # delays in ms
lock = threading.Lock()
ready = threading.Barrier(watchers + 1)
done = threading.Event()


def watch():
    w = conn()
    w.request("GET", "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s" % (ns, rv), headers=hdr)
    r = w.getresponse()
    ready.wait()
    seen = 0
    while not done.is_set() and seen < changes:
        line = r.readline()
        if not line:
            break
        now = time.monotonic()
        ev = json.loads(line)
        val = ev.get("object", {}).get("metadata", {}).get("labels", {}).get("bench")
        with lock:
            t = sent.get(val)
            if t is not None:
                arrived.append((now - t) * 1000)
                seen += 1
    w.close()


threads = [threading.Thread(target=watch, daemon=True) for _ in range(watchers)]
for t in threads:
    t.start()
ready.wait()
time.sleep(0.5)
p = conn()
ph = dict(hdr, **{"Content-Type": "application/merge-patch+json"})
for i in range(changes):
    val = "v%d" % i
    body = json.dumps({"metadata": {"labels": {"bench": val}}})
    with lock:
        sent[val] = time.monotonic()
    p.request("PATCH", "/api/v1/namespaces/%s/pods/%s" % (ns, pods[i % len(pods)]), body, ph)
    p.getresponse().read()
    time.sleep(0.02)
deadline = time.monotonic() + 10
while time.monotonic() < deadline and len(arrived) < watchers * changes:
    time.sleep(0.05)
done.set()
d = sorted(arrived)
print("watch delay, %d watchers x %d changes (%d events): median %.1f ms, p99 %.1f ms, max %.1f ms"
      "   (target median <= 20 ms)"
      % (watchers, changes, len(d), statistics.median(d), d[int(len(d) * 0.99) - 1], d[-1]))
if len(d) < watchers * changes:
    print("missing events: %d" % (watchers * changes - len(d)))
    sys.exit(1)
