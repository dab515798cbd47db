"""Language-model RL in miniature (``rlcli lm``): a NumPy transformer, a verifiable arithmetic
task, pretraining, a Bradley–Terry reward model, PPO / GRPO / Dr. GRPO / RLOO / REINFORCE,
pass@k evaluation and exact diagnostics on enumerable micro problems.

Map:
- ``layers``       LayerNorm, GELU MLP, causal multi-head attention: forward/backward pairs
- ``model``        the transformer (config, GPT-2 init, forward, backward, heads, KV cache)
- ``losses``       log-softmax, token log-probs, cross-entropy, Bradley–Terry
- ``optim``        AdamW with warm-up and cosine decay (on ``rlcli.nn.adam``)
- ``tokenizer``    words, signs and single digits; <pad> = 0, <eos> = 1
- ``task``         GSM8K-style word problems, answer after ####, the disjoint split, the slip
- ``data``         left-padded prompt batches, pretraining sequences
- ``sampling``     temperature / top-k / greedy generation with a KV cache; completion masks
- ``checkpoint``   .npz + JSON header, refused when corrupt, mismatched or of the wrong kind
- ``pretrain``     next-token cross-entropy → the base model
- ``preferences``  the biased synthetic labeller and its preference pairs
- ``reward_model`` Bradley–Terry reward model, pairwise accuracy
- ``rollout``      sampling a batch, verifier and reward-model rewards, π_old / π_ref log-probs
- ``advantages``   GRPO, Dr. GRPO, RLOO, batch-mean, per-token KL reward, GAE over tokens
- ``rl_config``    RLConfig: the RL hyperparameters and their defaults (no NumPy: read by the CLI)
- ``rl``           the five algorithms' losses and the training loop
- ``evaluate``     greedy accuracy, pass@k, maj@k, best-of-n
- ``micro``        exact J, ∇J, KL on an enumerable problem; estimator bias and variance
- ``pipeline``     pretrain → reward model → RL → eval, resumable
"""
