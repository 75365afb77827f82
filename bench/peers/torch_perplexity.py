#!/usr/bin/env python3
"""Perplexity with PyTorch/transformers bf16 on CPU, computed as llama.cpp's `perplexity` (and
`finefp8 perplexity`) does: the text is tokenized once (special tokens as the tokenizer adds
them), cut into non-overlapping windows of --ctx tokens (the first token replaced by BOS when
the tokenizer adds one), each window is one forward pass, and only the tokens of its second
half are scored (positions ctx/2 .. ctx-2 predicting the next token). Prints one JSON object:
ppl, ppl_sd (the standard error of the mean NLL times PPL, as llama.cpp), tokens_scored,
chunks, seconds, peak_rss_bytes.

  .venv-oracle/bin/python bench/peers/torch_perplexity.py -m MODEL_DIR -f TEXT [--ctx 512] [--chunks 16] [-t T]
"""
import argparse
import json
import math
import os
import resource
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("-f", "--file", required=True)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--chunks", type=int, default=0, help="0 = all the text holds")
    ap.add_argument("-t", "--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(a.threads)
    tok = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.bfloat16).eval()
    ids = tok(open(a.file, encoding="utf-8").read(), add_special_tokens=True)["input_ids"]
    bos = ids[0] if tok.bos_token_id is not None and ids and ids[0] == tok.bos_token_id else None
    n_chunks = len(ids) // a.ctx if a.chunks <= 0 else min(a.chunks, len(ids) // a.ctx)
    first = a.ctx // 2
    nll = nll2 = 0.0
    count = 0
    t0 = time.perf_counter()
    for c in range(n_chunks):
        w = ids[c * a.ctx:(c + 1) * a.ctx]
        if bos is not None:
            w = [bos] + w[1:]
        x = torch.tensor([w])
        with torch.inference_mode():
            logits = model(input_ids=x).logits[0, first:a.ctx - 1].float()
        lp = torch.log_softmax(logits, dim=-1)
        tgt = x[0, first + 1:a.ctx]
        v = -lp.gather(1, tgt[:, None])[:, 0].double()
        nll += float(v.sum())
        nll2 += float((v * v).sum())
        count += v.numel()
        print(f"[{c + 1}]{math.exp(nll / count):.4f}", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - t0
    mean = nll / count
    var = nll2 / count - mean * mean
    sd = math.sqrt(var / (count - 1)) if count > 1 and var > 0 else 0.0
    ppl = math.exp(mean)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(dict(model=a.model, text=a.file, ctx=a.ctx, chunks=n_chunks, tokens_scored=count,
                          text_tokens=len(ids), bos=bos is not None, ppl=ppl, ppl_sd=sd * ppl, seconds=seconds,
                          tokens_per_second=n_chunks * a.ctx / seconds, peak_rss_bytes=peak), indent=1))


if __name__ == "__main__":
    main()
