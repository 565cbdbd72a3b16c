#!/usr/bin/env python3
"""The PyTorch side of model_torch.sh: build the reference network as an
nn.Sequential with seeded random weights, save its state_dict as
safetensors (with the safetensors package when installed, else by hand:
8-byte little-endian header length, JSON header, F32 data), and write the
softmax probabilities of the first N Fashion-MNIST test images as JSON.

usage: model_torch.py OUT_MODEL OUT_PROBS IMAGES_GZ N SEED
"""
import gzip
import json
import struct
import sys

import torch
import torch.nn as nn

out_model, out_probs, images_path, n, seed = sys.argv[1:6]
n, seed = int(n), int(seed)

torch.manual_seed(seed)
net = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(5408, 64), nn.ReLU(), nn.Linear(64, 10))
# Larger weights than the default init, so that probabilities spread out
# and a layout mistake cannot hide in near-uniform outputs.
with torch.no_grad():
    for p in net.parameters():
        p.mul_(3.0)

state = {k: v.detach().contiguous().float() for k, v in net.state_dict().items()}
try:
    from safetensors.torch import save_file
    save_file(state, out_model)
except ImportError:
    header, blobs, at = {}, [], 0
    for name, t in state.items():
        blob = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [at, at + len(blob)]}
        blobs.append(blob)
        at += len(blob)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(out_model, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

with gzip.open(images_path, "rb") as f:
    raw = f.read()
magic, count, rows, cols = struct.unpack(">IIII", raw[:16])
assert magic == 0x803 and count >= n
pix = torch.frombuffer(bytearray(raw[16:16 + n * rows * cols]), dtype=torch.uint8)
x = pix.float().reshape(n, 1, rows, cols) / 255.0
with torch.no_grad():
    probs = torch.softmax(net(x), dim=1)
with open(out_probs, "w") as f:
    json.dump(probs.tolist(), f)
