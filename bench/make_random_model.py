#!/usr/bin/env python3
"""A Hugging Face directory with a real model's shape and random bf16 weights, for speed
measurements (speed does not depend on the values): config.json as transformers writes it
for that model, model.safetensors (sharded like transformers above 5 GB is not needed at
these sizes), and the real tokenizer of that family copied from ../shared/data/tokenizers.

  .venv/bin/python bench/make_random_model.py llama-3.2-1b OUT_DIR
"""
import argparse
import json
import os
import shutil

import ml_dtypes
import numpy as np
import safetensors

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/data/tokenizers")

SHAPES = {
    # meta-llama/Llama-3.2-1B config.json (public), weights random.
    "llama-3.2-1b": dict(
        architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=2048,
        intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
        num_key_value_heads=8, head_dim=64, vocab_size=128256, max_position_embeddings=131072,
        rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=True,
        rope_scaling={"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                      "original_max_position_embeddings": 8192, "rope_type": "llama3"},
        bos_token_id=128000, eos_token_id=128001, torch_dtype="bfloat16", hidden_act="silu",
        attention_bias=False, mlp_bias=False),
}
TOKENIZER = {"llama-3.2-1b": "llama3"}


def shapes(c):
    h, i, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    hd = c["head_dim"]
    q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    out = {"model.embed_tokens.weight": (v, h), "model.norm.weight": (h,)}
    if not c["tie_word_embeddings"]:
        out["lm_head.weight"] = (v, h)
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        out.update({p + "self_attn.q_proj.weight": (q, h), p + "self_attn.k_proj.weight": (kv, h),
                    p + "self_attn.v_proj.weight": (kv, h), p + "self_attn.o_proj.weight": (h, q),
                    p + "mlp.gate_proj.weight": (i, h), p + "mlp.up_proj.weight": (i, h),
                    p + "mlp.down_proj.weight": (h, i), p + "input_layernorm.weight": (h,),
                    p + "post_attention_layernorm.weight": (h,)})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shape", choices=sorted(SHAPES))
    ap.add_argument("out")
    a = ap.parse_args()
    cfg = SHAPES[a.shape]
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(0)
    tensors = {}
    for name, shape in shapes(cfg).items():
        if len(shape) == 1:
            x = np.ones(shape, np.float32)
        else:
            x = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
        tensors[name] = x.astype(ml_dtypes.bfloat16)
    specs = {n: safetensors.TensorSpec(dtype="bfloat16", shape=list(t.shape), data_ptr=t.ctypes.data,
                                       data_len=t.nbytes) for n, t in tensors.items()}
    safetensors.serialize_file(specs, os.path.join(a.out, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    tok = os.path.join(SHARED, TOKENIZER[a.shape])
    for f in os.listdir(tok):
        shutil.copy(os.path.join(tok, f), a.out)
    print(a.out, sum(t.size for t in tensors.values()) / 1e9, "B parameters")


if __name__ == "__main__":
    main()
