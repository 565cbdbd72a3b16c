"""PyTorch's figures for the same network and setup as model_bench.c, for
tests/bench/model_train.sh: Conv2d(1,32,3) relu MaxPool2d(2) Flatten
Linear(5408,64) relu Linear(64,10), Adam(lr 1e-3, betas 0.9/0.999,
eps 1e-7), batch 64, cross-entropy on integer labels, pixels / 255.

    model_torch.py train THREADS EPOCHS [LIMIT]
    model_torch.py infer THREADS
One "key value" line per figure."""
import gzip
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn

DIR = "/usr/share/datasets/fashion-mnist"


def load(prefix, limit=0):
    with gzip.open(f"{DIR}/{prefix}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f"{DIR}/{prefix}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    if limit:
        x, y = x[:limit], y[:limit]
    return torch.from_numpy(x.astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


def net():
    torch.manual_seed(42)
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(5408, 64), nn.ReLU(), nn.Linear(64, 10))


def train(epochs, limit):
    x, y = load("train", limit)
    m = net()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    lossf = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(42)
    total = 0.0
    for ep in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = lossf(m(x[idx]), y[idx])
            loss.backward()
            opt.step()
        secs = time.perf_counter() - t0
        total += secs
        print(f"epoch {ep + 1} secs {secs:.2f}", flush=True)
    print(f"train_ips {len(x) * epochs / total:.0f}")
    xt, yt = load("t10k")
    with torch.no_grad():
        acc = (m(xt).argmax(1) == yt).float().mean().item()
    print(f"test_acc {acc * 100:.2f}")
    print(f"train_maxrss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


def infer():
    x, _ = load("t10k")
    m = net().eval()
    # inference_mode, not no_grad: no version counters or views to track,
    # PyTorch's fastest eager inference (about 1% faster here).
    with torch.inference_mode():
        one = x[:1]
        for _ in range(200):
            m(one)
        lat = []
        for i in range(2000):
            t0 = time.perf_counter()
            m(x[i:i + 1])
            lat.append(time.perf_counter() - t0)
        lat.sort()
        print(f"latency_us {lat[len(lat) // 2] * 1e6:.1f}")
        b = x[:256]
        for _ in range(5):
            m(b)
        t0 = time.perf_counter()
        reps = 0
        while time.perf_counter() - t0 < 2.0:
            for i in range(0, 10000 - 255, 256):
                m(x[i:i + 256])
                reps += 256
        print(f"batch256_ips {reps / (time.perf_counter() - t0):.0f}")


if __name__ == "__main__":
    torch.set_num_threads(int(sys.argv[2]))
    if sys.argv[1] == "train":
        train(int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    else:
        infer()
