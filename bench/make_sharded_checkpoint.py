#!/usr/bin/env python3
"""Writes a large sharded FP8 checkpoint with the reference `safetensors` package, for timing
`finefp8 inspect` (and later quantize/load) on realistic sizes without downloading a model.
Llama-3.1-8B shapes by default. --dtype fp8: FP8 E4M3 linears (zeros) + fp32 128x128 scales
(1.0), bf16 embeddings and norms, with a quantization_config. --dtype bf16: everything bf16
with weight-like random values (normal-ish, |w| ~ 2^-7..2^-4), for timing `quantize`.

  .venv/bin/python bench/make_sharded_checkpoint.py OUT_DIR [--layers 16] [--shard-gb 2] [--dtype bf16]
"""
import argparse
import json
import math
import os

import numpy as np
import safetensors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--hidden", type=int, default=4096)
    ap.add_argument("--intermediate", type=int, default=14336)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--kv-heads", type=int, default=8)
    ap.add_argument("--vocab", type=int, default=128256)
    ap.add_argument("--shard-gb", type=float, default=2.0)
    ap.add_argument("--dtype", choices=["fp8", "bf16"], default="fp8")
    a = ap.parse_args()
    hd = a.hidden // a.heads
    tensors = [("model.embed_tokens.weight", "bfloat16", [a.vocab, a.hidden], 2)]
    for i in range(a.layers):
        p = f"model.layers.{i}."
        for name, (o, k) in {"self_attn.q_proj": (a.hidden, a.hidden), "self_attn.k_proj": (a.kv_heads * hd, a.hidden),
                             "self_attn.v_proj": (a.kv_heads * hd, a.hidden), "self_attn.o_proj": (a.hidden, a.hidden),
                             "mlp.gate_proj": (a.intermediate, a.hidden), "mlp.up_proj": (a.intermediate, a.hidden),
                             "mlp.down_proj": (a.hidden, a.intermediate)}.items():
            if a.dtype == "fp8":
                tensors.append((p + name + ".weight", "float8_e4m3fn", [o, k], 1))
                tensors.append((p + name + ".weight_scale_inv", "float32", [math.ceil(o / 128), math.ceil(k / 128)], 4))
            else:
                tensors.append((p + name + ".weight", "bfloat16", [o, k], 2))
        tensors.append((p + "input_layernorm.weight", "bfloat16", [a.hidden], 2))
        tensors.append((p + "post_attention_layernorm.weight", "bfloat16", [a.hidden], 2))
    tensors.append(("model.norm.weight", "bfloat16", [a.hidden], 2))
    tensors.append(("lm_head.weight", "bfloat16", [a.vocab, a.hidden], 2))

    biggest = max(math.prod(s) * b for _, _, s, b in tensors)
    zeros = np.zeros(biggest, dtype=np.uint8)
    if a.dtype == "bf16":  # random bf16 bits: sign, exponent 120..123 (2^-7..2^-4), mantissa
        rng = np.random.default_rng(0)
        r = rng.integers(0, 1 << 16, size=biggest // 2, dtype=np.uint16)
        zeros = ((r & 0x807F) | (((r >> 7) & 3) + 120).astype(np.uint16) << 7).view(np.uint8)
    ones = np.ones(biggest // 4 // 64, dtype=np.float32)  # scales: 1.0 (a valid scale)
    limit = int(a.shard_gb * 1e9)
    shards, cur, size = [], [], 0
    for t in tensors:
        nbytes = math.prod(t[2]) * t[3]
        if cur and size + nbytes > limit:
            shards.append(cur)
            cur, size = [], 0
        cur.append(t)
        size += nbytes
    shards.append(cur)
    os.makedirs(a.out, exist_ok=True)
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        specs = {}
        for name, dt, shape, b in shard:
            n = math.prod(shape) * b
            buf = ones if name.endswith("_scale_inv") else zeros
            specs[name] = safetensors.TensorSpec(dtype=dt, shape=shape, data_ptr=buf.ctypes.data, data_len=n)
            weight_map[name] = fname
            total += n
        safetensors.serialize_file(specs, os.path.join(a.out, fname), metadata={"format": "pt"})
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": a.hidden,
              "intermediate_size": a.intermediate, "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
              "num_key_value_heads": a.kv_heads, "vocab_size": a.vocab, "rms_norm_eps": 1e-5,
              "rope_theta": 500000.0, "max_position_embeddings": 131072, "torch_dtype": "bfloat16",
              "tie_word_embeddings": False,
              }
    if a.dtype == "fp8":
        config["quantization_config"] = {"quant_method": "fp8", "activation_scheme": "dynamic",
                                         "weight_block_size": [128, 128], "modules_to_not_convert": None}
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    print(f"wrote {len(tensors)} tensors, {total / 1e9:.2f} GB in {len(shards)} shards to {a.out}")


if __name__ == "__main__":
    main()
