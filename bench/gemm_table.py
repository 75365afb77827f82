#!/usr/bin/env python3
"""Runs `finefp8 bench-gemm --json` over a representative subset of real-model shapes and
writes the measured table (markdown) with the machine's facts.

  python3 bench/gemm_table.py [--binary build/finefp8] [--out bench/results/gemm_DATE.md] [--quick]
"""
import argparse
import datetime
import json
import os
import platform
import subprocess

SHAPES = {  # name: (N, K) = (out_features, in_features)
    "Llama-3-8B qkv/o": (4096, 4096),
    "Llama-3-8B up/gate": (14336, 4096),
    "Llama-3-8B down": (4096, 14336),
    "Qwen3-0.6B up": (3072, 1024),
    "SmolLM2 up": (1536, 576),
    "DeepSeek-V3 q_a/kv_a": (7168, 2112),
    "DeepSeek-V3 kv_a_mqa": (576, 7168),
    "DeepSeek-V3 q_b": (24576, 1536),
    "DeepSeek-V3 down": (7168, 18432),
}


def runs(quick):
    out = []
    for name in SHAPES:  # decode, every shape
        out.append((name, 1, "w8a8", "auto"))
    for name in ["Llama-3-8B qkv/o", "Qwen3-0.6B up", "DeepSeek-V3 q_a/kv_a"]:
        out.append((name, 1, "w8a16", "auto"))
        for tier in ["avx512-fma", "avx2"]:
            out.append((name, 1, "w8a8", tier))
        for m in [4, 16]:
            out.append((name, m, "w8a8", "auto"))
        for m in [128, 512, 2048]:
            if quick and m == 2048:
                continue
            out.append((name, m, "w8a8", "auto"))
    for m in [128, 512]:
        out.append(("Llama-3-8B qkv/o", m, "w8a8", "avx512"))
        out.append(("Llama-3-8B qkv/o", m, "w8a16", "auto"))
    out.append(("Llama-3-8B qkv/o", 512, "w8a8", "avx512-fma"))
    out.append(("Llama-3-8B qkv/o", 512, "w8a8", "avx2"))
    return out


def machine_facts(binary):
    facts = {}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            key, _, val = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "L2 cache", "L3 cache", "Thread(s) per core"):
                facts[key.strip()] = val.strip()
    except OSError:
        pass
    facts["cpu-info"] = subprocess.run([binary, "cpu-info"], capture_output=True, text=True).stdout.strip()
    facts["kernel"] = platform.release()
    return facts


def rng(r, key, range_key):
    lo, hi = r[range_key]
    return f"{r[key]:.2f}" if r["runs"] == 1 else f"{r[key]:.2f} ({lo:.2f}-{hi:.2f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/finefp8")
    ap.add_argument("--out", default=f"bench/results/gemm_{datetime.date.today().isoformat()}.md")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", default="0.5")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per row; the table shows the run with the median fp8 GFLOP/s and the range of "
                         "the ratios over all runs")
    args = ap.parse_args()
    results = []
    for name, m, mode, tier in runs(args.quick):
        n, k = SHAPES[name]
        cmd = [args.binary, "bench-gemm", "-M", str(m), "-N", str(n), "-K", str(k), "--mode", mode, "--tier", tier,
               "--json", "--seconds", args.seconds if m < 512 else "1.5"]
        reps = []
        for _ in range(args.repeat):
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                print("FAILED", " ".join(cmd), proc.stderr.strip())
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            r["shape"] = name
            print(json.dumps(r), flush=True)
            reps.append(r)
        if not reps:
            continue
        reps.sort(key=lambda r: r["gflops"])
        r = dict(reps[len(reps) // 2])
        r["runs"] = len(reps)
        r["range_x_onednn"] = (min(x["ratio_vs_bf16"] for x in reps), max(x["ratio_vs_bf16"] for x in reps))
        r["range_x_own"] = (min(x["ratio_vs_finefp8_bf16"] for x in reps), max(x["ratio_vs_finefp8_bf16"] for x in reps))
        results.append(r)
    facts = machine_facts(args.binary)
    with open(args.out, "w") as f:
        f.write(f"# FP8 linear kernels: measured {datetime.datetime.now().isoformat(timespec='minutes')}\n\n")
        f.write("Produced by `python3 bench/gemm_table.py` (one `finefp8 bench-gemm --json` per row).\n\n")
        f.write("## Machine\n\n")
        for key, val in facts.items():
            if key == "cpu-info":
                f.write("```\n" + val + "\n```\n")
            else:
                f.write(f"- {key}: {val}\n")
        f.write("\nShared with other jobs while measuring: every row times the FP8 kernel, both bf16 baselines, the "
                "streaming-read probe and the compute-peak probe in interleaved rounds (best call of each), so the "
                "ratios compare like with like; absolute numbers move with the load. "
                f"Each row is the median (by fp8 GFLOP/s) of {args.repeat} run(s); ratio columns give the range over "
                "the runs in parentheses.\n\n")
        f.write("## Results\n\n")
        f.write("| shape (N x K) | M | mode | tier (kernel) | GFLOP/s | weight GB/s | % stream BW | % compute peak "
                "| oneDNN bf16 GFLOP/s | x oneDNN bf16 | finefp8 bf16 GFLOP/s | x finefp8 bf16 | stream GB/s | peak GFLOP/s (unit) |\n")
        f.write("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
        for r in results:
            p = r["peaks"]
            f.write(f"| {r['shape']} ({r['N']}x{r['K']}) | {r['M']} | {r['mode']} | {r['tier']} ({r['kernel']}) "
                    f"| {r['gflops']:.1f} | {r['weight_gbps']:.2f} | {r['pct_of_stream_bw']:.0f}% "
                    f"| {r['pct_of_compute_peak']:.0f}% | {r['onednn_bf16_gflops']:.1f} | {rng(r, 'ratio_vs_bf16', 'range_x_onednn')} "
                    f"| {r['finefp8_bf16_gflops']:.1f} | {rng(r, 'ratio_vs_finefp8_bf16', 'range_x_own')} | {p['stream_gbps']:.1f} "
                    f"| {p['compute_gflops']:.0f} ({p['compute_unit']}) |\n")
        f.write("\n## Raw JSON\n\n```\n")
        for r in results:
            f.write(json.dumps(r) + "\n")
        f.write("```\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
