#!/usr/bin/env python3
"""Serves the recorded kube-apiserver 1.20 answers (tests/data/kube/fixtures)
over TLS on 127.0.0.1, so podium and kubectl can be run against the same
bytes. Usage: fixture_server.py DATA_DIR PORT_FILE. Requires bearer token
"fixture-token". Writes the chosen port to PORT_FILE, then serves until
killed."""
import http.server, os, ssl, sys, urllib.parse

DATA = sys.argv[1]
FIX = os.path.join(DATA, "fixtures")

# (path, labelSelector or None, wants Table) -> fixture; first match wins
ROUTES = [
    ("/version", None, None, "version.json", 200),
    ("/api", None, None, "api.json", 200),
    ("/apis", None, None, "apis.json", 200),
    ("/api/v1", None, None, "api-v1.json", 200),
    ("/apis/apps/v1", None, None, "apis-apps-v1.json", 200),
    ("/api/v1/namespaces/default/pods", "app=demo", True, "pods-table.json", 200),
    ("/api/v1/namespaces/default/pods", "app=demo", False, "pods-list-demo.json", 200),
    ("/api/v1/namespaces/default/pods", "app===x", None, "status-400-bad-labelselector.json", 400),
    ("/api/v1/namespaces/default/pods", None, False, "pods-list.json", 200),
    ("/apis/apps/v1/namespaces/default/deployments", None, False, "deployments-list.json", 200),
    ("/apis/apps/v1/namespaces/default/deployments/demo", None, False, "deployment.json", 200),
    ("/apis/apps/v1/namespaces/default/deployments/does-not-exist", None, None, "status-404-deployment-notfound.json", 404),
    ("/apis/apps/v1/namespaces/default/replicasets", "app=demo", False, "replicasets-demo.json", 200),
    ("/api/v1/nodes", None, False, "nodes-list.json", 200),
]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer fixture-token":
            with open(os.path.join(FIX, "status-401-bad-token.json"), "rb") as f:
                return self.send(401, f.read())
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        sel = q.get("labelSelector", [None])[0]
        table = "as=Table" in (self.headers.get("Accept") or "")
        for path, s, t, name, code in ROUTES:
            if path == u.path and (s is None or s == sel) and (t is None or t == table):
                if s is None and sel is not None and path.endswith("pods"):
                    continue
                with open(os.path.join(FIX, name), "rb") as f:
                    return self.send(code, f.read())
        body = b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}'
        self.send(404, body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(DATA, "tls/server.crt"), os.path.join(DATA, "tls/server.key"))
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
