#!/usr/bin/env python3
"""The PyTorch baseline for `finefp8 quantize`: the same job (bf16 checkpoint -> fine-grained FP8
checkpoint) done tensor by tensor with transformers' own quantizer (Fp8Quantize._quantize_one,
the code save_pretrained runs for FineGrainedFP8Config) on CPU, read and written with
safetensors, sharded like the input. Run it beside `finefp8 quantize` on the same input:

  .venv-oracle/bin/python bench/quantize_torch_reference.py SRC OUT [--threads 2]

Only linear weights (2-D, not embeddings/norms/lm_head) are quantized, as finefp8 does; ragged
shapes are left as they are (transformers' rule). Prints GB/s of input; /usr/bin/time -v gives RSS.
"""
import argparse
import json
import os
import shutil
import time
import types

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers.integrations.finegrained_fp8 import Fp8Quantize


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    op = Fp8Quantize(types.SimpleNamespace(quantization_config=types.SimpleNamespace(
        weight_block_size=[128, 128], scale_fmt=None)))
    index = json.load(open(os.path.join(a.src, "model.safetensors.index.json")))
    shards = sorted(set(index["weight_map"].values()))
    os.makedirs(a.out, exist_ok=True)
    t0, nbytes = time.time(), 0
    new_map = {}
    for shard in shards:
        out = {}
        with safe_open(os.path.join(a.src, shard), framework="pt") as f:
            for name in f.keys():
                t = f.get_tensor(name)
                nbytes += t.numel() * t.element_size()
                last = name.rsplit(".", 2)[-2] if name.count(".") >= 1 else name
                if t.ndim == 2 and name.endswith(".weight") and "embed" not in name and "norm" not in last \
                        and not name.startswith("lm_head"):
                    out.update(op._quantize_one(name, t))
                else:
                    out[name] = t
        save_file(out, os.path.join(a.out, shard), metadata={"format": "pt"})
        new_map.update({k: shard for k in out})
        del out
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": new_map}, f)
    shutil.copy(os.path.join(a.src, "config.json"), a.out)
    dt = time.time() - t0
    print(f"torch reference: {nbytes / 1e9:.2f} GB in {dt:.1f} s = {nbytes / 1e9 / dt:.3f} GB/s "
          f"({a.threads} threads, torch {torch.__version__})")


if __name__ == "__main__":
    main()
