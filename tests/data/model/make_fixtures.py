#!/usr/bin/env python3
"""Writes the small safetensors fixtures the unit tests read, with nothing
but struct and json: safetensors is 8 bytes of little-endian header length,
a JSON header, then the tensors' bytes. Run from the repository root:
    python3 tests/data/model/make_fixtures.py
"""
import json
import struct


def write(path, tensors, metadata=None):
    """tensors: list of (name, shape, list of floats), stored as F32."""
    header, blobs, at = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, shape, values in tensors:
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [at, at + len(blob)]}
        blobs.append(blob)
        at += len(blob)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


write("tests/data/model/tiny.safetensors",
      [("0.weight", [2, 1, 3, 3], [i * 0.25 - 1.0 for i in range(18)]),
       ("0.bias", [2], [0.5, -0.5])],
      {"format": "pt"})
