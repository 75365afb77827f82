#!/usr/bin/env python3
"""PyTorch/transformers bf16 on CPU, timed the way llama-bench times llama.cpp: prefill is
one forward pass over N_PROMPT tokens (fresh cache each time), decode is N_GEN tokens
generated greedily one at a time (min_new_tokens so that EOS does not stop it early) after a
one-token prompt. Prints a JSON array of rows shaped like `finefp8 bench -o json`.

  .venv-oracle/bin/python bench/peers/torch_generate.py -m MODEL_DIR [-p 512] [-n 128] [-r 3] [-t THREADS]

Token ids are pseudo-random (fixed seed) as in llama-bench: speed does not depend on them.
A warm-up pass of each kind runs first and is not counted. Peak RSS is the process's
VmHWM (weights in bf16 + activations + the Python/torch runtime).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time


def _status(key):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def rss_bytes():
    return _status("VmRSS")


def peak_rss_bytes():
    return max(_status("VmHWM"), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("-p", "--n-prompt", type=int, default=512)
    ap.add_argument("-n", "--n-gen", type=int, default=128)
    ap.add_argument("-r", "--reps", type=int, default=3)
    ap.add_argument("-t", "--threads", type=int, default=os.cpu_count())
    ap.add_argument("--no-warmup", action="store_true")
    a = ap.parse_args()

    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.bfloat16)
    model.eval()
    load_s = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    vocab = model.config.vocab_size
    g = torch.Generator().manual_seed(0)

    def prefill():
        ids = torch.randint(0, vocab, (1, a.n_prompt), generator=g)
        t = time.perf_counter()
        with torch.inference_mode():
            model(input_ids=ids, use_cache=True, logits_to_keep=1)
        return time.perf_counter() - t

    def decode(n):
        ids = torch.randint(0, vocab, (1, 1), generator=g)
        t = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                 max_new_tokens=n, min_new_tokens=n, pad_token_id=0,
                                 num_beams=1, temperature=None, top_p=None, top_k=None)
        dt = time.perf_counter() - t
        assert out.shape[1] == n + 1, out.shape
        return dt

    rows = []
    for test, n_prompt, n_gen, fn, n_tok in (
            (f"pp{a.n_prompt}", a.n_prompt, 0, prefill, a.n_prompt),
            (f"tg{a.n_gen}", 0, a.n_gen, lambda: decode(a.n_gen), a.n_gen)):
        if n_tok <= 0:
            continue
        if not a.no_warmup:
            prefill() if n_prompt else decode(min(4, a.n_gen))
        samples = [n_tok / fn() for _ in range(a.reps)]
        rows.append(dict(
            model=os.path.basename(os.path.normpath(a.model)), config="torch-bf16", engine="pytorch",
            weight_bytes=weight_bytes, parameters=params, threads=a.threads, test=test, n_prompt=n_prompt,
            n_gen=n_gen, tps_mean=statistics.fmean(samples),
            tps_sd=statistics.stdev(samples) if len(samples) > 1 else 0.0,
            rss_bytes=rss_bytes(), peak_rss_bytes=peak_rss_bytes(), samples=samples,
            load_seconds=load_s, torch=torch.__version__, transformers=transformers.__version__))
        print(f"torch_generate: {test} {rows[-1]['tps_mean']:.2f} tok/s", file=sys.stderr)
    json.dump(rows, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
