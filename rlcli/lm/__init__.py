"""Language-model RL in miniature (``rlcli lm``): a NumPy transformer, a verifiable arithmetic
task, pretraining, a Bradley–Terry reward model, PPO / GRPO / Dr. GRPO / RLOO / REINFORCE,
pass@k evaluation and exact diagnostics on enumerable micro problems.

Map:
- ``layers``      LayerNorm, GELU MLP, causal multi-head attention: forward/backward pairs
- ``model``       the transformer (config, GPT-2 init, forward, backward, heads, KV cache)
- ``losses``      log-softmax, token log-probs, cross-entropy, Bradley–Terry
"""
