#!/usr/bin/env python3
"""The chart of bench/side_by_side.py (run with the matplotlib of bench/requirements-report.txt):
one row per model, columns prefill tok/s, decode tok/s, peak RSS, perplexity.

  python bench/peers/chart.py side_by_side_DATE.json side_by_side_DATE.png
"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt


def label(key, v):
    if key == "ppl":
        return f"{v:.3f}"
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"


d = json.load(open(sys.argv[1]))
models = [m for m in d["models"] if d["results"].get(m)]
cols = [("prefill", "prefill tok/s (pp%d)" % d["n_prompt"]), ("decode", "decode tok/s (tg%d)" % d["n_gen"]),
        ("peak_rss", "peak RSS (GB, lower is better)"), ("ppl", "perplexity (ctx 512, lower is better)")]
colors = {"finefp8": "#1f77b4", "llama.cpp": "#ff7f0e", "PyTorch": "#2ca02c"}
fig, axes = plt.subplots(len(models), len(cols), figsize=(4.2 * len(cols), 3.4 * len(models)), squeeze=False)
for i, m in enumerate(models):
    rows = d["results"][m]["rows"]
    labels = [f"{r['engine']}\n{r['config']}" for r in rows]
    for j, (key, title) in enumerate(cols):
        ax = axes[i][j]
        vals = []
        for r in rows:
            if key in ("prefill", "decode"):
                vals.append(r[key]["tps"] if r.get(key) else 0)
            elif key == "peak_rss":
                vals.append((r.get("peak_rss") or 0) / 1e9)
            else:
                vals.append(r["ppl"]["ppl"] if r.get("ppl") else 0)
        if not any(vals):
            ax.text(0.5, 0.5, "n/a (random weights)" if key == "ppl" else "n/a", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
        else:
            bars = ax.bar(range(len(rows)), vals, color=[colors.get(r["engine"], "grey") for r in rows])
            for b, v in zip(bars, vals):
                if v:
                    ax.text(b.get_x() + b.get_width() / 2, v, label(key, v), ha="center", va="bottom", fontsize=7)
            ax.set_xticks(range(len(rows)))
            ax.set_xticklabels(labels, fontsize=6.5)
            if key == "ppl":
                nz = [v for v in vals if v]
                lo, hi = min(nz), max(nz)
                ax.set_ylim(lo - (hi - lo) * 2 - 0.01 * lo, hi + (hi - lo) * 1.5 + 0.01 * hi)
        ax.set_title(f"{m}: {title}", fontsize=9)
fig.suptitle(f"finefp8 vs llama.cpp vs PyTorch, {d['threads']} threads, {d['cpu']}", fontsize=10)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)

