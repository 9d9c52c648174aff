#!/usr/bin/env python3
"""Chooses the pod detector's workload memory check (src/detect/pod.c,
workload_check: WL_RATIO, WL_OWN, WL_PERSIST_MS) by leave one scenario
family out, on an emulation of the check (docs/detect.md).

For each pod of a workload with at least three pods, at each sample: its
memory over the workload's baseline (the median of the cycle medians over
the workload's running pods, a ring of 32 taking every 4th cycle after the
first 8, as pod_workload.c keeps it) and over its own baseline (the ring
of its normal samples, as pod.c keeps it). A configuration (ratio over the
workload, ratio over its own, samples in a row) fires when both hold for
that many samples. For each held-out family, the configuration is chosen
on the other families: no healthy pod may fire, nor with the workload
ratio 0.01 lower (a margin), and among those the most leaks found within
30 minutes (then 15, then 60; then the higher ratio). Standard library only.

Usage: bench/leak-cv.py DIR NAME...   (DIR holds NAME.csv and NAME.truth from
`kubemend sim-record`; NAME-sSEED runs of one family form one fold)
"""
import sys, os, re, csv, json, pickle, statistics
from datetime import datetime, timezone
DIR = sys.argv[1]
def ts(s):
    return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
def load(name):
    pk = os.path.join(DIR, name + ".pkl")
    if os.path.exists(pk):
        return pickle.load(open(pk, "rb"))
    pods = {}
    with open(os.path.join(DIR, name + ".csv")) as f:
        r = csv.reader(f); h = next(r); ix = {k: i for i, k in enumerate(h)}
        for row in r:
            key = row[ix["namespace"]] + "/" + row[ix["pod"]]
            wl = row[ix["namespace"]] + "/" + row[ix["owner_kind"]] + "/" + row[ix["owner_name"]]
            m = row[ix["mem_bytes"]]; lim = row[ix["mem_limit_bytes"]]
            age = row[ix["pod_age_s"]]
            run = row[ix["phase"]] == "Running" and row[ix["reason"]] == ""
            p = pods.setdefault(key, dict(wl=wl, t=[], m=[], run=[], age=[], lim=None, rs=[]))
            p["t"].append(ts(row[ix["timestamp"]]))
            p["m"].append(float(m) if m else None)
            p["run"].append(run)
            p["age"].append(float(age) if age else None)
            p["rs"].append(row[ix["restarts"]])
            if lim: p["lim"] = float(lim)
    truth = json.load(open(os.path.join(DIR, name + ".truth")))
    leaks = {}
    faulty = set()
    for f in truth:
        for pod in f.get("pods") or []:
            k = f["namespace"] + "/" + pod
            faulty.add(k)
            if f["type"] == "memory_leak":
                leaks[k] = ts(f["start"][:19] + "Z")
        if f.get("deployment"):
            faulty.add(("wl", f["namespace"], f["deployment"]))
    d = dict(pods=pods, leaks=leaks, faulty=faulty)
    pickle.dump(d, open(pk, "wb"))
    return d

def own(p):
    # emulated C baseline: ring of 32, every sample for first 8 then every 4th; pushes only when mem <= 1.08 med
    ring = []; thin = 0; out = {}
    for t, m, run, age in zip(p["t"], p["m"], p["run"], p["age"]):
        if m is None or not run: continue
        med = statistics.median(ring) if len(ring) >= 4 else None
        out[t] = m / med if med else None
        if med is None or m <= 1.08 * med:
            thin += 1
            if len(ring) < 8 or thin >= 4:
                ring.append(m); thin = 0
                if len(ring) > 32: ring.pop(0)
    return out

def wlbase(d, thin=4, ring_n=32, minpods=2):
    pods = d["pods"]; bywl = {}
    for k, p in pods.items(): bywl.setdefault(p["wl"], []).append(k)
    out = {}
    for wl, ks in bywl.items():
        at = {}
        for k in ks:
            p = pods[k]
            for t, m, run, age in zip(p["t"], p["m"], p["run"], p["age"]):
                if m is None or not run or (age is not None and age < 120): continue
                at.setdefault(t, []).append((k, m))
        ring = []; cnt = 0
        for t in sorted(at):
            lst = at[t]
            base = statistics.median(ring) if len(ring) >= 4 else None
            for k, m in lst:
                out.setdefault(k, {})[t] = (m / base if base else None, len(ks))
            if len(lst) >= minpods:
                cnt += 1
                if len(ring) < 8 or cnt >= thin:
                    ring.append(statistics.median(m for _, m in lst)); cnt = 0
                    if len(ring) > ring_n: ring.pop(0)
    return out
def build(files, **kw):
    H, L = [], []
    for n in files:
        d = load(n); w = wlbase(d, **kw)
        for k, ser in w.items():
            o = own(d["pods"][k])
            comb = [(t, rw, o.get(t), nk) for t, (rw, nk) in sorted(ser.items())]
            if k in d["leaks"]: L.append((n, k, comb, d["leaks"][k]))
            elif k not in d["faulty"]: H.append((n, k, comb))
    return H, L
def hits(comb, f, kp):
    run = 0; out = []
    for t, rw, ro, nk in comb:
        if rw is not None and ro is not None and f(rw, ro, nk): run += 1
        else: run = 0
        if run >= kp: out.append(t)
    return out
def evaluate(H, L, f, kp):
    fa = [(n, k) for n, k, c in H if hits(c, f, kp)]
    dts = []
    for n, k, c, st in L:
        h = [t for t in hits(c, f, kp) if t >= st]
        dts.append(h[0] - st if h else 99999)
    return fa, sorted(dts)

files = sys.argv[2:]
fam = lambda n: re.sub(r"-s\d+$", "", n)
folds = sorted(set(fam(n) for n in files))
data = {}
for f in folds:
    data[f] = build([n for n in files if fam(n) == f])
grid = [(a / 100, b / 100, kp) for a in range(110, 121) for b in (100, 104, 106, 108) for kp in (4, 6, 8, 10)]
cache = {}
def score(f, cfg):
    if (f, cfg) not in cache:
        a, b, kp = cfg
        H, L = data[f]
        fa, dts = evaluate(H, L, lambda rw, ro, nk: nk >= 3 and rw >= a and ro >= b, kp)
        cache[(f, cfg)] = (len(fa), sum(x <= 900 for x in dts), sum(x <= 1800 for x in dts), sum(x <= 3600 for x in dts), len(dts), sum(len(c) for _, _, c in H) * 30 / 3600)
    return cache[(f, cfg)]
def total(fs, cfg):
    return [sum(x) for x in zip(*(score(f, cfg) for f in fs))]
def choose(fs):
    best = None
    for cfg in grid:
        t = total(fs, cfg)
        lower = (round(cfg[0] - 0.01, 2), cfg[1], cfg[2])
        if t[0] or (lower in grid and total(fs, lower)[0]):
            continue
        key = (t[2], t[1], t[3], cfg[0])
        if best is None or key > best[0]: best = (key, cfg)
    return best[1]
cvt = [0] * 6
for f in folds:
    tr = [g for g in folds if g != f]
    cfg = choose(tr)
    s = score(f, cfg)
    cvt = [x + y for x, y in zip(cvt, s)]
    print("held out %-12s chose %s -> FA %d, leaks 15m %d 30m %d 60m %d of %d, pod-h %.0f" % (f, cfg, *s))
print("CV total: FA %d, leaks 15m %d 30m %d 60m %d of %d, pod-hours %.0f" % tuple(cvt))
cfg = choose(folds)
print("all folds chose", cfg, "in-sample", total(folds, cfg))
