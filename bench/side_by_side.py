#!/usr/bin/env python3
"""finefp8 beside llama.cpp and PyTorch on this machine: speed, peak memory and perplexity.

  python3 bench/side_by_side.py [--quick] [--threads T] [--reps N] [--chunks C] [--skip-torch]
                                [--finefp8 build/finefp8] [--models smollm2,llama-3.2-1b]

Runs with the standard library only (after the README's setup: the Debian packages, a finefp8
build); everything else it needs it makes under ${XDG_CACHE_HOME:-~/.cache}/finefp8/peers/,
reusing what an earlier run left there:
  * llama.cpp's llama-bench / llama-perplexity, built from the llama-cpp-python 0.3.36 sdist
    (bench/peers/build_llama_cpp.sh; nothing of llama.cpp is in this repository);
  * .venv-oracle (torch, transformers, gguf: tools/fixtures/requirements-oracle.txt) for
    PyTorch and for llama.cpp's convert_hf_to_gguf.py, plus a small venv with what that
    converter needs besides (bench/peers/requirements-convert.txt), and one with matplotlib
    for the chart (bench/requirements-report.txt);
  * the models, the same weights for every engine:
      smollm2       SmolLM2-135M-Instruct (scripts/fetch_smollm2.sh: the real Q4_1 GGUF),
                    `finefp8 convert` -> bf16 Hugging Face directory -> GGUF BF16 and Q8_0
      llama-3.2-1b  Llama-3.2-1B shape, random bf16 weights (bench/make_random_model.py)
                    -> GGUF BF16 and Q8_0; speed only (no perplexity for random weights).
Then, with the same thread count everywhere (default: all cores):
  * `finefp8 bench` (bf16, FP8 W8A16, FP8 W8A8), `llama-bench` (BF16, Q8_0) and
    bench/peers/torch_generate.py (bf16): prefill of -p tokens and decode of -n tokens;
  * perplexity of SmolLM2 on the evaluation text (scripts/fetch_eval_text.sh) with windows of
    512 tokens and the same number of windows (--chunks) for finefp8 (bf16, W8A16, W8A8) and
    llama-perplexity (BF16, Q8_0; -c 512 -b 512: one window per forward pass, as finefp8)
    and PyTorch bf16 (bench/peers/torch_perplexity.py, the same arithmetic);
  * peak RSS of each run: what `finefp8` reports; /usr/bin/time -v for the others.
Writes bench/results/side_by_side_DATE.md (+ .json with every raw result, + .png chart).
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "finefp8", "peers")
MODELS = os.path.join(CACHE, "models")
LLAMA_SRC = os.path.join(CACHE, "llama_cpp_python-0.3.36", "vendor", "llama.cpp")
LLAMA_CPP_PYTHON = "0.3.36"

COMMANDS = []  # (label, argv) of every measured command, for the report
NOTES = []  # problems met on the way, printed in the report


def log(msg):
    print(f"side_by_side: {msg}", file=sys.stderr, flush=True)


def note(msg):
    log(msg)
    NOTES.append(msg)


OTHER_CPU = {}  # label -> share of all CPUs that other processes used while that command ran
LAST = {}


def cpu_busy_seconds():
    """Busy CPU time of the whole machine (all processes, + steal) from /proc/stat, in seconds."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run3(argv, **kw):
    """run() returning (stdout, stderr, peak rss, seconds)."""
    label = kw.pop("label", None)
    if label:  # with the 1-minute load average when it started: a shared machine shows here
        COMMANDS.append((label, argv, os.getloadavg()[0]))
    timed = kw.pop("timed_rss", False)
    env = kw.pop("env", None)
    full = list(argv)
    tname = None
    if timed and os.path.exists("/usr/bin/time"):
        fd, tname = tempfile.mkstemp(prefix="time-", suffix=".txt")
        os.close(fd)
        full = ["/usr/bin/time", "-v", "-o", tname] + full
    log("$ " + " ".join(shlex.quote(a) for a in argv))
    t0, busy0, own0 = time.time(), cpu_busy_seconds(), children_seconds()
    p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    dt = time.time() - t0
    busy1, own1 = cpu_busy_seconds(), children_seconds()
    other = None
    if busy0 is not None and busy1 is not None and dt > 0:
        # CPU time the machine spent on anything but this command: other users of the shared cores.
        other = max(0.0, (busy1 - busy0) - (own1 - own0)) / (dt * (os.cpu_count() or 1))
    LAST["other_cpu"] = other
    if label:
        OTHER_CPU[label] = other
    rss = None
    if tname:
        with open(tname) as f:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
        os.unlink(tname)
        rss = int(m.group(1)) * 1024 if m else None
    if p.returncode != 0:
        tail = "\n".join(p.stderr.strip().splitlines()[-12:])
        raise RuntimeError(f"exit {p.returncode} after {dt:.0f} s: {' '.join(argv)}\n{tail}")
    log(f"  done in {dt:.1f} s")
    return p.stdout, p.stderr, rss, dt


def last_line(argv, env=None):
    out, _, _, _ = run3(argv, env=env)
    lines = [l for l in out.strip().splitlines() if l.strip()]
    if not lines:
        raise RuntimeError(f"{' '.join(argv)} printed nothing")
    return lines[-1].strip()


# ---------------------------------------------------------------------------------------------
# setup


def ensure_venv(path, requirements, extra_site=None):
    py = os.path.join(path, "bin", "python")
    stamp = os.path.join(path, ".finefp8-requirements")
    want = open(requirements).read() if requirements else ""
    if not (os.path.exists(py) and os.path.exists(stamp) and open(stamp).read() == want):
        log(f"making the venv {path} ({os.path.relpath(requirements, REPO) if requirements else 'empty'})")
        shutil.rmtree(path, ignore_errors=True)
        run3([sys.executable, "-m", "venv", path])
        if requirements:
            run3([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", requirements])
        with open(stamp, "w") as f:
            f.write(want)
    if extra_site:
        site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        with open(os.path.join(site, "finefp8-oracle.pth"), "w") as f:
            f.write(extra_site + "\n")
    return py


def ensure_oracle(venv):
    py = os.path.join(venv, "bin", "python")
    ok = os.path.exists(py) and subprocess.run(
        [py, "-c", "import torch, transformers, gguf, safetensors, ml_dtypes"], capture_output=True).returncode == 0
    if not ok:
        log(f"installing {venv} from tools/fixtures/requirements-oracle.txt (torch: several GB, minutes)")
        if not os.path.exists(py):
            run3([sys.executable, "-m", "venv", venv])
        run3([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
              os.path.join(REPO, "tools/fixtures/requirements-oracle.txt")])
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return py, site


def ensure_finefp8(path):
    if os.path.exists(path):
        return path
    if os.path.abspath(path) != os.path.join(REPO, "build", "finefp8"):
        raise SystemExit(f"side_by_side: {path} does not exist")
    log("building finefp8 (build/finefp8)")
    run3(["cmake", "-S", ".", "-B", "build", "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release", "-DFINEFP8_BUILD_BENCH=OFF"])
    run3(["nice", "cmake", "--build", "build"])
    return path


def atomic_dir(final, make):
    """make(tmp) builds a directory at tmp; renamed to final when it succeeds."""
    if os.path.isdir(final) and os.path.exists(os.path.join(final, "config.json")):
        return final
    tmp = final + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    make(tmp)
    os.replace(tmp, final)
    return final


def gguf_of(hf_dir, outtype, out, convert_py):
    if os.path.exists(out):
        return out
    tmp = out + ".part"
    if os.path.exists(tmp):
        os.unlink(tmp)
    run3(["nice", convert_py, os.path.join(LLAMA_SRC, "convert_hf_to_gguf.py"), "--outtype", outtype,
          "--outfile", tmp, hf_dir], label=f"GGUF {outtype}")
    os.replace(tmp, out)
    return out


def prepare_model(name, finefp8, oracle_py, convert_py):
    os.makedirs(MODELS, exist_ok=True)
    if name == "smollm2":
        src = last_line(["bash", os.path.join(REPO, "scripts/fetch_smollm2.sh")])
        hf = atomic_dir(os.path.join(MODELS, "smollm2-135m-instruct-bf16"),
                        lambda tmp: run3([finefp8, "convert", src, tmp], label="finefp8 convert (SmolLM2 Q4_1 GGUF -> bf16)"))
        title = "SmolLM2-135M-Instruct (real weights: the Q4_1 GGUF dequantized to bf16)"
    elif name == "llama-3.2-1b":
        hf = atomic_dir(os.path.join(MODELS, "llama-3.2-1b-random-bf16"),
                        lambda tmp: run3([oracle_py, os.path.join(REPO, "bench/make_random_model.py"), "llama-3.2-1b", tmp],
                                         label="random Llama-3.2-1B-shaped model"))
        title = "Llama-3.2-1B shape, random bf16 weights (speed only)"
    else:
        raise SystemExit(f"unknown model {name}")
    base = os.path.basename(hf)[:-len("-bf16")]
    ggufs = {q: gguf_of(hf, q.lower(), os.path.join(MODELS, f"{base}-{q}.gguf"), convert_py) for q in ("BF16", "Q8_0")}
    return dict(name=name, title=title, hf=hf, gguf=ggufs)


def eval_text(arg):
    if arg:
        return arg
    script = os.path.join(REPO, "scripts/fetch_eval_text.sh")
    if not os.path.exists(script):
        raise SystemExit("side_by_side: scripts/fetch_eval_text.sh is missing: pass --text FILE")
    return last_line(["bash", script])


# ---------------------------------------------------------------------------------------------
# measurements


def finefp8_has(finefp8, cmd):
    return subprocess.run([finefp8, cmd, "--help"], capture_output=True).returncode == 0


def bench_finefp8(finefp8, m, a):
    argv = [finefp8, "bench", "-m", m["hf"], "-p", str(a.n_prompt), "-n", str(a.n_gen), "-r", str(a.reps),
            "-t", str(a.threads), "--configs", "bf16,w8a16,w8a8", "-o", "json"]
    load = os.getloadavg()[0]
    out, _, rss, _ = run3(argv, label=f"finefp8 bench, {m['name']}", timed_rss=True)
    rows = json.loads(out)
    res = {}
    for r in rows:
        cfg = {"bf16": "bf16", "w8a16": "FP8 W8A16", "w8a8": "FP8 W8A8"}.get(r["config"], r["config"])
        e = res.setdefault(("finefp8", cfg), dict(engine="finefp8", config=cfg, weight_bytes=r.get("weight_bytes"), load=load,
                                                  other_cpu=LAST.get("other_cpu")))
        kind = "prefill" if r["n_prompt"] > 0 and r["n_gen"] == 0 else "decode"
        e[kind] = dict(tps=r["tps_mean"], sd=r.get("tps_sd", 0.0), samples=r.get("samples"))
        e["peak_rss"] = max(e.get("peak_rss") or 0, r.get("peak_rss_bytes") or 0) or None
    for e in res.values():
        e["process_peak_rss"] = rss  # the whole bench process (all three configs)
    return list(res.values())


def bench_llama(bin_dir, m, a):
    out = []
    for q, path in m["gguf"].items():
        argv = [os.path.join(bin_dir, "llama-bench"), "-m", path, "-p", str(a.n_prompt), "-n", str(a.n_gen),
                "-r", str(a.reps), "-t", str(a.threads), "-o", "json"]
        load = os.getloadavg()[0]
        flags = None
        try:
            stdout, _, rss, _ = run3(argv, label=f"llama-bench {q}, {m['name']}", timed_rss=True)
        except RuntimeError as err:
            # llama.cpp's AMX extra buffer (used for Q8_0 where the CPU has AMX) crashed with
            # SIGSEGV in ggml_backend_amx_mul_mat on a Sapphire Rapids VM (2026-12-05); run it
            # again without the extra buffers, and say so in the row's config.
            if not str(err).startswith(("exit 139", "exit -11")):
                raise
            log(f"llama-bench {q} crashed (SIGSEGV); again with --repack 0 (no AMX/repacked buffers)")
            flags = "--repack 0"
            stdout, _, rss, _ = run3(argv + ["--repack", "0"], label=f"llama-bench {q}, {m['name']}", timed_rss=True)
        rows = json.loads(stdout)
        e = dict(engine="llama.cpp", config=q, flags=flags, peak_rss=rss, load=load, other_cpu=LAST.get("other_cpu"), weight_bytes=rows[0].get("model_size"),
                 build=f"{rows[0].get('build_commit')} (build {rows[0].get('build_number')})",
                 cpu_info=rows[0].get("cpu_info"), backends=rows[0].get("backends"))
        for r in rows:
            kind = "prefill" if r["n_prompt"] > 0 and r["n_gen"] == 0 else "decode"
            e[kind] = dict(tps=r["avg_ts"], sd=r["stddev_ts"], samples=r.get("samples_ts"))
        out.append(e)
    return out


def bench_torch(oracle_py, m, a):
    argv = [oracle_py, os.path.join(REPO, "bench/peers/torch_generate.py"), "-m", m["hf"], "-p", str(a.n_prompt),
            "-n", str(a.n_gen), "-r", str(a.torch_reps), "-t", str(a.threads)]
    load = os.getloadavg()[0]
    stdout, _, rss, _ = run3(argv, label=f"PyTorch bf16, {m['name']}", timed_rss=True)
    rows = json.loads(stdout)
    e = dict(engine="PyTorch", config="bf16", peak_rss=rss, load=load, other_cpu=LAST.get("other_cpu"), weight_bytes=rows[0]["weight_bytes"],
             versions=f"torch {rows[0]['torch']}, transformers {rows[0]['transformers']}")
    for r in rows:
        kind = "prefill" if r["n_prompt"] > 0 else "decode"
        e[kind] = dict(tps=r["tps_mean"], sd=r["tps_sd"], samples=r["samples"])
    return [e]


def ppl_finefp8(finefp8, m, text, a, cfg):
    argv = [finefp8, "perplexity", "-m", m["hf"], "-f", text, "--ctx", "512", "--chunks", str(a.chunks),
            "-t", str(a.threads), "--json"]
    if cfg != "bf16":
        argv += ["--quantize", "fp8", "--mode", {"FP8 W8A16": "w8a16", "FP8 W8A8": "w8a8"}[cfg]]
    stdout, _, rss, dt = run3(argv, label=f"finefp8 perplexity {cfg}", timed_rss=True)
    j = json.loads(stdout[stdout.index("{"):])
    return dict(ppl=j["ppl"], ppl_sd=j.get("ppl_sd"), chunks=j.get("chunks"),
                tokens=j.get("tokens_scored", j.get("tokens")), seconds=j.get("seconds", dt),
                peak_rss=j.get("peak_rss_bytes") or rss)


def ppl_torch(oracle_py, m, text, a):
    argv = [oracle_py, os.path.join(REPO, "bench/peers/torch_perplexity.py"), "-m", m["hf"], "-f", text, "--ctx", "512",
            "--chunks", str(a.chunks), "-t", str(a.threads)]
    stdout, _, rss, dt = run3(argv, label="PyTorch perplexity bf16", timed_rss=True)
    j = json.loads(stdout)
    return dict(ppl=j["ppl"], ppl_sd=j["ppl_sd"], chunks=j["chunks"], tokens=j["tokens_scored"],
                text_tokens=j.get("text_tokens"), seconds=j["seconds"], peak_rss=rss or j.get("peak_rss_bytes"))


def ppl_llama(bin_dir, m, text, a, q):
    argv = [os.path.join(bin_dir, "llama-perplexity"), "-m", m["gguf"][q], "-f", text, "-c", "512", "-b", "512",
            "--chunks", str(a.chunks), "-t", str(a.threads)]
    stdout, stderr, rss, dt = run3(argv, label=f"llama-perplexity {q}", timed_rss=True)
    both = stdout + "\n" + stderr
    mm = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", both)
    if not mm:
        raise RuntimeError("llama-perplexity printed no final estimate")
    ch = re.search(r"calculating perplexity over (\d+) chunks, n_ctx=(\d+)", both)
    chunks = int(ch.group(1)) if ch else None
    return dict(ppl=float(mm.group(1)), ppl_sd=float(mm.group(2)), chunks=chunks,
                tokens=chunks * (512 - 1 - 256) if chunks else None, seconds=dt, peak_rss=rss)


# ---------------------------------------------------------------------------------------------
# report


def machine_facts(finefp8, threads):
    f = {}
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    for line in lscpu.splitlines():
        k, _, v = line.partition(":")
        if k.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "Core(s) per socket", "L2 cache", "L3 cache"):
            f[k.strip()] = v.strip()
        if k.strip() == "Flags":
            want = ("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_vnni",
                    "avx512_fp16", "amx_bf16", "amx_int8", "amx_fp16")
            f["ISA flags"] = " ".join(x for x in v.split() if x in want)
    f["threads used"] = str(threads)
    f["memory"] = f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB"
    f["kernel"] = platform.release()
    try:
        f["finefp8 cpu-info"] = subprocess.run([finefp8, "cpu-info"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    git = lambda *x: subprocess.run(["git", "-C", REPO, *x], capture_output=True, text=True).stdout.strip()
    f["finefp8 commit"] = git("rev-parse", "--short=12", "HEAD") + (" (dirty)" if git("status", "--porcelain", "-uno") else "")
    cc = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout.splitlines()
    f["compiler"] = cc[0] if cc else "?"
    f["load average at start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f


def fmt_tps(d):
    if not d:
        return "—"
    return f"{d['tps']:.2f} ± {d['sd']:.2f}" if d.get("sd") else f"{d['tps']:.2f}"


def fmt_bytes(b):
    return f"{b / 1e6:,.0f} MB" if b else "—"


def ratio(e, ref, kind):
    if not ref or kind not in e or kind not in ref or not ref[kind]["tps"]:
        return None
    return e[kind]["tps"] / ref[kind]["tps"]


def fmt_ratio(x):
    return f"{x:.2f}x" if x is not None else "—"


def model_table(m, rows):
    ref = next((r for r in rows if r["engine"] == "llama.cpp" and r["config"] == "Q8_0"), None)
    out = ["| engine / config | weights | prefill tok/s | decode tok/s | peak RSS | perplexity | "
           "prefill vs llama.cpp Q8_0 | decode vs llama.cpp Q8_0 | CPU used by others |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        p = r.get("ppl")
        ppl = f"{p['ppl']:.4f} ± {p['ppl_sd']:.4f}" if p and p.get("ppl_sd") is not None else (f"{p['ppl']:.4f}" if p else "—")
        rss = r.get("peak_rss")
        rss_s = fmt_bytes(rss)
        if p and p.get("peak_rss"):
            rss_s += f" (ppl run: {fmt_bytes(p['peak_rss'])})" if rss else f"ppl run: {fmt_bytes(p['peak_rss'])}"
        flags = f" ({r['flags']})" if r.get("flags") else ""
        out.append(f"| {r['engine']} {r['config']}{flags} | {fmt_bytes(r.get('weight_bytes'))} | {fmt_tps(r.get('prefill'))} | "
                   f"{fmt_tps(r.get('decode'))} | {rss_s} | {ppl} | {fmt_ratio(ratio(r, ref, 'prefill'))} | "
                   f"{fmt_ratio(ratio(r, ref, 'decode'))} | {noise_mark(r)} |")
    return out


NOISY_SD = 0.10  # relative sd above which a speed is called noisy
NOISY_OTHER = 0.10  # share of the CPUs used by other processes during a measurement above which it is noisy


def noisy(r, kind, threads):
    """Why a measured speed can't be trusted, or None: a large spread, or other work on the machine."""
    why = []
    d = r.get(kind)
    if d and d.get("tps") and (d.get("sd") or 0) / d["tps"] > NOISY_SD:
        why.append(f"{r['engine']} {r['config']} {kind} sd {100 * d['sd'] / d['tps']:.0f}%")
    if r.get("other_cpu") is not None:
        if r["other_cpu"] > NOISY_OTHER:
            why.append(f"other processes used {100 * r['other_cpu']:.0f}% of the CPUs during {r['engine']} {r['config']}")
    elif r.get("load") is not None and r["load"] > 0.5 * threads + 2:  # older runs: only the load average (own load included)
        why.append(f"load average {r['load']:.1f} when {r['engine']} {r['config']} started")
    return why


def noise_mark(r):
    if r.get("other_cpu") is not None:
        return f"{100 * r['other_cpu']:.0f}%"
    return "—" if r.get("load") is None else f"load {r['load']:.1f}"


def targets(results, threads=2):
    lines = []
    big = results.get("llama-3.2-1b")
    if big:
        ref = next((r for r in big["rows"] if r["engine"] == "llama.cpp" and r["config"] == "Q8_0"), None)
        fp8 = [r for r in big["rows"] if r["engine"] == "finefp8" and r["config"].startswith("FP8")]
        if not ref or not fp8:
            lines.append("- 1B speed targets: not measured (llama.cpp Q8_0 or finefp8 FP8 rows missing)")
        for kind, goal in (("decode", 1.3), ("prefill", 1.5)):
            for r in fp8:
                x = ratio(r, ref, kind)
                if x is None:
                    continue
                why = noisy(r, kind, threads) + noisy(ref, kind, threads)
                verdict = "met" if x >= goal else "not met"
                if why:
                    verdict = f"inconclusive** (would be {verdict}; {'; '.join(why)})**"
                lines.append(f"- finefp8 {r['config']} {kind} on the 1B model >= {goal}x llama.cpp Q8_0: "
                             f"{x:.2f}x — **{verdict}**".replace("****", ""))
    small = results.get("smollm2")
    if small:
        by = {r["config"]: r.get("ppl") for r in small["rows"] if r["engine"] == "finefp8"}
        if by.get("bf16") and by.get("FP8 W8A8"):
            d = by["FP8 W8A8"]["ppl"] / by["bf16"]["ppl"] - 1
            lines.append(f"- finefp8 FP8 W8A8 perplexity within 0.5% of bf16 (SmolLM2): {100 * d:+.3f}% — "
                         f"**{'met' if abs(d) <= 0.005 else 'not met'}**")
            if by.get("FP8 W8A16"):
                d2 = by["FP8 W8A16"]["ppl"] / by["bf16"]["ppl"] - 1
                lines.append(f"  (W8A16: {100 * d2:+.3f}%)")
        else:
            lines.append("- FP8 W8A8 perplexity target: not measured (finefp8 perplexity missing)")
        pt = next((r.get("ppl") for r in small["rows"] if r["engine"] == "PyTorch"), None)
        if pt and by.get("bf16"):
            lines.append(f"- bf16 against PyTorch bf16 on the same windows: finefp8 {100 * (by['bf16']['ppl'] / pt['ppl'] - 1):+.3f}%"
                         + "".join(f", llama.cpp BF16 {100 * (r['ppl']['ppl'] / pt['ppl'] - 1):+.3f}%" for r in small["rows"]
                                   if r["engine"] == "llama.cpp" and r["config"] == "BF16" and r.get("ppl"))
                         + " (llama.cpp tokenizes the text itself: its windows need not hold the same tokens)")
        ll = {r["config"]: r.get("ppl") for r in small["rows"] if r["engine"] == "llama.cpp"}
        if ll.get("BF16") and ll.get("Q8_0"):
            lines.append(f"- for scale, llama.cpp Q8_0 vs its BF16: {100 * (ll['Q8_0']['ppl'] / ll['BF16']['ppl'] - 1):+.3f}%")
    return lines


def write_chart(report_py, data_json, png):
    run3([report_py, os.path.join(REPO, "bench/peers/chart.py"), data_json, png])


def write_report(a, facts, results, text, path_md, path_png, versions, t_total, argv=None, load_end=None):
    argv = sys.argv[1:] if argv is None else argv
    L = [f"# finefp8 vs llama.cpp vs PyTorch on CPU — {a.date}", "",
         "Generated by `python3 bench/side_by_side.py " + " ".join(shlex.quote(x) for x in argv) + "` "
         f"in {t_total / 60:.1f} min. Prefill: tokens/s of one pass over {a.n_prompt} prompt tokens (pp{a.n_prompt}); "
         f"decode: tokens/s generating {a.n_gen} tokens one at a time (tg{a.n_gen}); mean ± sd over {a.reps} runs "
         f"(PyTorch: {a.torch_reps}) after a warm-up. Perplexity: windows of 512 tokens, the second half of each "
         f"scored (llama.cpp's method), first {a.chunks} windows of the evaluation text. "
         "Peak RSS: finefp8 reports each config's own peak (`finefp8 bench`; `finefp8 perplexity`); llama.cpp and "
         "PyTorch: `Maximum resident set size` of `/usr/bin/time -v` over the process (llama-bench maps the GGUF: "
         "its RSS counts the mapped weights).", "",
         f"![chart]({os.path.basename(path_png)})", "", "## Targets (issue 9)", ""]
    L += targets(results, int(facts.get("threads used", "2"))) or ["- nothing measured"]
    L += ["", f"A speed is called noisy when its sd exceeds {100 * NOISY_SD:.0f}% of the mean or other processes used more "
          f"than {100 * NOISY_OTHER:.0f}% of the machine's CPU time while its command ran (column *CPU used by others*: "
          "busy time in /proc/stat, steal included, less the command's own; for `finefp8 bench` over all three "
          "configs): the comparisons that involve it are then reported as inconclusive. Rerun on a quiet machine."]
    L += [""]
    for name in a.models:
        r = results.get(name)
        if not r:
            continue
        L += [f"## {r['title']}", ""] + model_table(r, r["rows"]) + [""]
    L += ["## Machine", "", "| | |", "|---|---|"]
    for k, v in facts.items():
        L.append(f"| {k} | {str(v).replace(chr(10), '<br>')} |")
    load_end = load_end or " ".join(f"{x:.2f}" for x in os.getloadavg())
    L.append(f"| load average at end | {load_end} |")
    for k, v in versions.items():
        L.append(f"| {k} | {v} |")
    L.append(f"| evaluation text | `{text}` |" if text else "| evaluation text | — |")
    L += ["", "## Commands", "", "```"]
    for label, argv, load in COMMANDS:
        other = OTHER_CPU.get(label)
        L.append(f"# {label}" + (f" (load average {load:.1f} when it started" if load is not None else "")
                 + (f"; other processes used {100 * other:.0f}% of the CPUs while it ran)" if other is not None
                    else ")" if load is not None else ""))
        L.append(" ".join(shlex.quote(x.replace(os.path.expanduser("~"), "~")) for x in argv))
    L += ["```", ""]
    if NOTES:
        L += ["## Notes", ""] + [f"- {n}".replace("\n", "\n  ") for n in NOTES] + [""]
    with open(path_md, "w") as f:
        f.write("\n".join(L))


def rerender(path):
    d = json.load(open(path))
    COMMANDS.extend((c["label"], c["argv"], c.get("load_average")) for c in d["commands"])
    OTHER_CPU.update({c["label"]: c["other_cpu"] for c in d["commands"] if c.get("other_cpu") is not None})
    NOTES.extend(d["notes"])
    a = argparse.Namespace(date=d["date"], n_prompt=d["n_prompt"], n_gen=d["n_gen"], reps=d["reps"],
                           torch_reps=d.get("torch_reps", 1), chunks=d["chunks"], models=d["models"])
    loads = {c["label"]: c.get("load_average") for c in d["commands"]}
    for name, res in d["results"].items():
        for r in res["rows"]:
            if r.get("load") is None:
                key = {"finefp8": f"finefp8 bench, {name}", "llama.cpp": f"llama-bench {r['config']}, {name}",
                       "PyTorch": f"PyTorch bf16, {name}"}[r["engine"]]
                r["load"] = loads.get(key)
    stem = path[:-len(".json")]
    report_py = ensure_venv(os.path.join(CACHE, "venv-report"), os.path.join(REPO, "bench/requirements-report.txt"))
    write_chart(report_py, path, stem + ".png")
    write_report(a, d["facts"], d["results"], d.get("text"), stem + ".md", stem + ".png", d["versions"],
                 d.get("seconds", 0), argv=d.get("argv", ["?"]), load_end=d.get("load_end"))
    print(stem + ".md")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a tiny run for checking the pipeline: SmolLM2 only, "
                    "-p 64 -n 16, 1 repetition, 2 perplexity windows")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=None, help="timed runs per test (default 3; --quick: 1)")
    ap.add_argument("--torch-reps", type=int, default=None, help="PyTorch's timed runs (default 1: it is slow)")
    ap.add_argument("--chunks", type=int, default=None, help="perplexity windows of 512 tokens (default 16; --quick: 2)")
    ap.add_argument("-p", "--n-prompt", type=int, default=None, help="prefill tokens (default 512; --quick: 64)")
    ap.add_argument("-n", "--n-gen", type=int, default=None, help="decode tokens (default 128; --quick: 16)")
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--skip-ppl", action="store_true")
    ap.add_argument("--models", default=None, help="comma-separated: smollm2, llama-3.2-1b (default both; --quick: smollm2)")
    ap.add_argument("--finefp8", default=os.path.join(REPO, "build", "finefp8"))
    ap.add_argument("--oracle-venv", default=os.path.join(REPO, ".venv-oracle"),
                    help="venv with tools/fixtures/requirements-oracle.txt (made if missing)")
    ap.add_argument("--text", default=None, help="evaluation text (default: scripts/fetch_eval_text.sh)")
    ap.add_argument("--out-dir", default=os.path.join(REPO, "bench", "results"))
    ap.add_argument("--date", default=datetime.date.today().isoformat())
    ap.add_argument("--name", default=None, help="file name stem (default side_by_side_DATE, _quick with --quick)")
    ap.add_argument("--from-json", metavar="FILE", help="measure nothing: write the .md and .png again from the .json "
                    "of an earlier run (after a change to the report's layout)")
    a = ap.parse_args()
    if a.from_json:
        return rerender(a.from_json)
    q = a.quick
    a.reps = a.reps or (1 if q else 3)
    a.torch_reps = a.torch_reps or 1
    a.chunks = a.chunks or (2 if q else 16)
    a.n_prompt = a.n_prompt or (64 if q else 512)
    a.n_gen = a.n_gen or (16 if q else 128)
    a.models = (a.models or ("smollm2" if q else "smollm2,llama-3.2-1b")).split(",")
    t_start = time.time()

    finefp8 = ensure_finefp8(os.path.abspath(a.finefp8))
    bin_dir = last_line(["bash", os.path.join(REPO, "bench/peers/build_llama_cpp.sh")])
    oracle_py, oracle_site = ensure_oracle(os.path.abspath(a.oracle_venv))
    convert_py = ensure_venv(os.path.join(CACHE, "venv-convert"), os.path.join(REPO, "bench/peers/requirements-convert.txt"),
                             extra_site=oracle_site)
    report_py = ensure_venv(os.path.join(CACHE, "venv-report"), os.path.join(REPO, "bench/requirements-report.txt"))
    facts = machine_facts(finefp8, a.threads)
    has_bench, has_ppl = finefp8_has(finefp8, "bench"), finefp8_has(finefp8, "perplexity")
    if not has_bench:
        note(f"`{os.path.relpath(finefp8, REPO)} bench` does not exist in this build: finefp8 speed rows missing")
    if not has_ppl and not a.skip_ppl:
        note(f"`{os.path.relpath(finefp8, REPO)} perplexity` does not exist in this build: finefp8 perplexity missing")
    text = None
    if not a.skip_ppl and "smollm2" in a.models:
        text = eval_text(a.text)

    results = {}
    for name in a.models:
        m = prepare_model(name, finefp8, oracle_py, convert_py)
        rows = []

        def attempt(what, fn):
            try:
                return fn()
            except Exception as ex:  # one failed engine must not lose the others' results
                note(f"{what} ({name}) failed: {ex}")
                return None

        if has_bench:
            rows += attempt("finefp8 bench", lambda: bench_finefp8(finefp8, m, a)) or []
        rows += attempt("llama-bench", lambda: bench_llama(bin_dir, m, a)) or []
        if not a.skip_torch:
            rows += attempt("PyTorch", lambda: bench_torch(oracle_py, m, a)) or []
        if name == "smollm2" and not a.skip_ppl:
            for cfg in ("bf16", "FP8 W8A16", "FP8 W8A8"):
                if not has_ppl:
                    break
                p = attempt(f"finefp8 perplexity {cfg}", lambda: ppl_finefp8(finefp8, m, text, a, cfg))
                if p:
                    row = next((r for r in rows if r["engine"] == "finefp8" and r["config"] == cfg), None)
                    if row is None:
                        row = dict(engine="finefp8", config=cfg)
                        rows.append(row)
                    row["ppl"] = p
            for qn in ("BF16", "Q8_0"):
                p = attempt(f"llama-perplexity {qn}", lambda: ppl_llama(bin_dir, m, text, a, qn))
                if p:
                    row = next((r for r in rows if r["engine"] == "llama.cpp" and r["config"] == qn), None)
                    if row is None:
                        row = dict(engine="llama.cpp", config=qn)
                        rows.append(row)
                    row["ppl"] = p
            if not a.skip_torch:
                p = attempt("PyTorch perplexity", lambda: ppl_torch(oracle_py, m, text, a))
                if p:
                    row = next((r for r in rows if r["engine"] == "PyTorch"), None)
                    if row is None:
                        row = dict(engine="PyTorch", config="bf16")
                        rows.append(row)
                    row["ppl"] = p
            chunk_counts = {r["ppl"].get("chunks") for r in rows if r.get("ppl")}
            if len(chunk_counts) > 1:
                note(f"perplexity runs used different numbers of windows: {sorted(chunk_counts, key=str)}")
        order = {("finefp8", "bf16"): 0, ("finefp8", "FP8 W8A16"): 1, ("finefp8", "FP8 W8A8"): 2,
                 ("llama.cpp", "BF16"): 3, ("llama.cpp", "Q8_0"): 4, ("PyTorch", "bf16"): 5}
        rows.sort(key=lambda r: order.get((r["engine"], r["config"]), 9))
        results[name] = dict(title=m["title"], hf=m["hf"], gguf=m["gguf"], rows=rows)

    versions = {"llama.cpp": f"vendored in llama-cpp-python {LLAMA_CPP_PYTHON} (PyPI sdist, bench/peers/build_llama_cpp.sh)"}
    for r in (x for res in results.values() for x in res["rows"]):
        if r.get("build"):
            versions["llama.cpp"] += f"; llama-bench reports build {r['build']}"
            break
    for r in (x for res in results.values() for x in res["rows"]):
        if r.get("versions"):
            versions["PyTorch"] = r["versions"]
            break
    os.makedirs(a.out_dir, exist_ok=True)
    stem = os.path.join(a.out_dir, a.name or (f"side_by_side_{a.date}" + ("_quick" if q else "")))
    data = dict(argv=sys.argv[1:], seconds=time.time() - t_start, torch_reps=a.torch_reps, text=text,
                load_end=" ".join(f"{x:.2f}" for x in os.getloadavg()), date=a.date, threads=a.threads, n_prompt=a.n_prompt, n_gen=a.n_gen, reps=a.reps, chunks=a.chunks,
                models=a.models, cpu=facts.get("Model name", "?"), facts=facts, versions=versions, results=results,
                commands=[dict(label=l, argv=v, load_average=x, other_cpu=OTHER_CPU.get(l)) for l, v, x in COMMANDS], notes=NOTES)
    with open(stem + ".json", "w") as f:
        json.dump(data, f, indent=1)
    try:
        write_chart(report_py, stem + ".json", stem + ".png")
    except Exception as ex:
        note(f"chart failed: {ex}")
    write_report(a, facts, results, text, stem + ".md", stem + ".png", versions, time.time() - t_start)
    print(stem + ".md")


if __name__ == "__main__":
    main()
