#!/usr/bin/env python3
"""Independent NAB scorer (SCORING.md), written separately from src/eval/nab.c
and deliberately naive: for every candidate threshold it rescores every file
row by row. Usage: nab_score.py RESULTS_DIR WINDOWS_JSON -> prints
'standard=<score>' (threshold optimised over the corpus)."""
import csv, json, math, os, sys

def sigmoid(y):
    return -1.0 if y > 3 else 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0

def file_rows(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [r["timestamp"] for r in rows], [float(r["anomaly_score"]) for r in rows]

def main():
    res, wpath = sys.argv[1], sys.argv[2]
    labels = json.load(open(wpath))
    files = []
    for name, wins in sorted(labels.items()):
        p = os.path.join(res, name)
        if not os.path.exists(p):
            continue
        ts, sc = file_rows(p)
        idx = {t[:19]: i for i, t in enumerate(ts)}
        w = sorted((idx[a[:19]], idx[b[:19]]) for a, b in wins)
        n = len(ts)
        P = min(math.floor(0.15 * n), 750)
        # value of a detection at each scorable row; window id or None
        vals, wid = [], []
        for i in range(n):
            inside = [k for k, (l, r) in enumerate(w) if l <= i <= r]
            if inside:
                l, r = w[inside[0]]
                W = r - l + 1
                vals.append(sigmoid(-(r - i + 1) / W) / sigmoid(-1.0))
                wid.append(inside[0])
            else:
                ended = [(l, r) for (l, r) in w if r < i]
                if not ended:
                    vals.append(-1.0)
                else:
                    l, r = ended[-1]
                    W = r - l + 1
                    vals.append(sigmoid((i - r) / (W - 1)) if W > 1 else -1.0)
                wid.append(None)
        files.append((sc, vals, wid, P, [k for k, (l, r) in enumerate(w) if r >= P]))
    nwin = sum(len(f[4]) for f in files)
    cands = sorted({s for sc, _, _, P, _ in files for s in sc[P:]} | {1.1}, reverse=True)
    best, best_t = None, None
    for t in cands:
        total = 0.0
        for sc, vals, wid, P, counted in files:
            hit = {}
            for i in range(P, len(sc)):
                if sc[i] >= t:
                    if wid[i] is None:
                        total += 0.11 * vals[i] if vals[i] != -1.0 else -0.11
                    elif wid[i] not in hit:
                        hit[wid[i]] = vals[i]
            for k in counted:
                total += hit.get(k, -1.0)
        if best is None or total > best + 1e-12:
            best, best_t = total, t
    print("threshold=%.6f" % best_t)
    print("standard=%.2f" % (100.0 * (best + nwin) / (2.0 * nwin)))

main()
