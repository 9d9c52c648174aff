#!/usr/bin/env python3
"""The numpy peer of bench/lstm_bench.c: the same stacked LSTM over the same
10,000 windows, written as a careful numpy user would (the whole batch at
once, one matrix product per layer and time step, float32 throughout).
Prints numpy_seconds (best of several runs) and the largest difference from
kubemend's output. Usage: lstm_numpy.py DIR"""
import sys, time
import numpy as np

d = sys.argv[1]
B, T, nin, H, L, nout = map(int, open(d + "/shape.txt").read().split())
w = np.fromfile(d + "/w.f32", dtype=np.float32)
x = np.fromfile(d + "/x.f32", dtype=np.float32).reshape(B, T, nin)
y_c = np.fromfile(d + "/y_c.f32", dtype=np.float32).reshape(B, nout)

layers, off = [], 0
for l in range(L):
    I = nin if l == 0 else H
    K = I + H
    W = w[off:off + 4 * H * K].reshape(4 * H, K); off += 4 * H * K
    b = w[off:off + 4 * H]; off += 4 * H
    layers.append((np.ascontiguousarray(W.T), b))   # K x 4H
Wy = w[off:off + nout * H].reshape(nout, H); off += nout * H
by = w[off:off + nout]

def run(x):
    inp = x
    for Wt, b in layers:
        h = np.zeros((B, H), np.float32)
        c = np.zeros((B, H), np.float32)
        outs = np.empty((B, T, H), np.float32)
        for t in range(T):
            z = np.concatenate((inp[:, t, :], h), axis=1) @ Wt + b
            s = 1.0 / (1.0 + np.exp(-z[:, :H * 2]))
            g = np.tanh(z[:, 2 * H:3 * H])
            o = 1.0 / (1.0 + np.exp(-z[:, 3 * H:]))
            c = s[:, H:] * c + s[:, :H] * g
            h = o * np.tanh(c)
            outs[:, t, :] = h
        inp = outs
    return h @ Wy.T + by

best = 1e30
for _ in range(3):
    t0 = time.perf_counter()
    y = run(x)
    best = min(best, time.perf_counter() - t0)
assert y.dtype == np.float32
diff = float(np.max(np.abs(y - y_c)))
scale = float(np.max(np.abs(y)))
print("numpy_seconds=%.6f" % best)
print("max_abs_diff=%.3g (outputs up to %.3g)" % (diff, scale))
print("outputs_equal=%s" % ("yes" if diff <= 1e-4 * max(1.0, scale) else "no"))
