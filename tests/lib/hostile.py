# tests/lib/hostile.py HOSTILE_DIR: write, in the current directory, the
# manifests that carry the payloads of tests/data/hostile to the cluster:
# pod.json (annotations; its command echoes every payload and a 1 MB line
# into its log), event.json (reason, message, source), and per payload
# bad-label-NAME.json and bad-name-NAME.json (refused by the server or the
# client: their Status and error lines carry the payload).
import json, os, sys
h = sys.argv[1]
pay = {}
for f in sorted(os.listdir(h)):
    if f == "README":
        continue
    b = open(os.path.join(h, f), "rb").read()
    try:
        pay[f] = b.decode("utf-8")
    except UnicodeDecodeError:
        pass  # JSON cannot carry it
big = "A" * 500000 + "\x1b[2J\x1b]2:t\x07\u202e" + "B" * 524288  # no ";": echo stops there
# echo takes the text up to ';', '&' or a newline, without quotes
echo = "; ".join("echo " + v.replace("'", "").replace('"', "").replace("\n", " ").replace("&", "+")
                 for v in list(pay.values()) + [big])
pod = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "hostile", "namespace": "default",
                    "labels": {"app": "hostile"},
                    "annotations": dict({"hostile.example/" + k: v for k, v in pay.items()},
                                        **{"hostile.example/big": big[:200000]})},
       "spec": {"containers": [{"name": "c", "image": "busybox",
                                "command": ["sh", "-c", echo + "; sleep infinity"]}]}}
json.dump(pod, open("pod.json", "w"))
all_ = " | ".join(pay.values())
ev = {"apiVersion": "v1", "kind": "Event",
      "metadata": {"name": "hostile.1", "namespace": "default"},
      "involvedObject": {"kind": "Pod", "name": "hostile", "namespace": "default", "apiVersion": "v1"},
      "reason": pay["clear-screen"], "message": all_, "type": "Warning",
      "source": {"component": pay["title-set"]},
      "firstTimestamp": "2026-11-28T11:00:00Z", "lastTimestamp": "2026-11-28T11:00:00Z", "count": 1}
json.dump(ev, open("event.json", "w"))
for k, v in pay.items():  # one refused pod per payload: a label value the server rejects
    bad = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "bad-" + k, "namespace": "default", "labels": {"v": v}},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    json.dump(bad, open("bad-label-" + k + ".json", "w"))
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": v, "namespace": "default"}}
    json.dump(bad, open("bad-name-" + k + ".json", "w"))
