#!/usr/bin/env python3
"""serve_bodies.py IMAGES.gz N OUTDIR - request bodies for the model server
tests and benchmark, holding the first N images of an IDX file:
v2_u8.json (UINT8 [N,28,28]), v2_fp32.json (FP32 [N,1,28,28], divided by
255) and v1.json (instances [N][28][28], divided by 255)."""
import gzip, json, struct, sys

path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
    magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
    assert magic == 0x803 and count >= n
    raw = f.read(n * rows * cols)
imgs = [list(raw[i * rows * cols:(i + 1) * rows * cols]) for i in range(n)]
scaled = [[float("%.9g" % (v / 255)) for v in img] for img in imgs]
flat_u8 = [v for img in imgs for v in img]
flat_fp = [v for img in scaled for v in img]
nest = lambda img: [img[r * cols:(r + 1) * cols] for r in range(rows)]
bodies = {
    "v2_u8.json": {"id": "u8", "inputs": [{"name": "input", "shape": [n, rows, cols],
                                           "datatype": "UINT8", "data": flat_u8}]},
    "v2_fp32.json": {"id": "fp32", "inputs": [{"name": "input", "shape": [n, 1, rows, cols],
                                               "datatype": "FP32", "data": flat_fp}]},
    "v1.json": {"instances": [nest(img) for img in scaled]},
}
for name, body in bodies.items():
    with open("%s/%s" % (out, name), "w") as f:
        json.dump(body, f, separators=(",", ":"))
