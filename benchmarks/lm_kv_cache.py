"""KV-cached sampling against recomputing the whole prefix for every token, at the default
model (2 layers, 2 heads, width 64, context 48) and full length (18-token prompts, 30 new
tokens, no early stop), batch 64. Both in the same run; the ratio is what counts.

    python benchmarks/lm_kv_cache.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time

import numpy as np

from rlcli.lm import model as m
from rlcli.lm import task
from rlcli.lm.sampling import generate


def main() -> None:
    tok = task.tokenizer()
    p_len = task.prompt_length(tok)
    cfg = m.ModelConfig(len(tok))
    params = m.init_params(cfg, np.random.default_rng(0))
    params["w_head"][:, tok.eos] = -10.0  # never stop early: every row runs to the context
    prompts = tok.pad_left([tok.encode(p.prompt) for p in task.split()[1][:64]], p_len)
    times = {}
    for cached in (True, False, True, False):
        t = time.process_time()
        out = generate(
            params, cfg, prompts, cfg.context - p_len, np.random.default_rng(1), use_cache=cached
        )
        times.setdefault(cached, []).append(time.process_time() - t)
    best = {k: min(v) for k, v in times.items()}
    print(f"tokens per row: {out.shape[1]}, batch {len(prompts)}")
    print(
        f"KV cache: {best[True]:.3f} CPU s; recompute: {best[False]:.3f} CPU s; "
        f"speed-up {best[False] / best[True]:.1f}x"
    )


if __name__ == "__main__":
    main()
