"""Exam numbers for policy-gradient methods from given data, worked out exactly.

Modules: ``policy`` (tabular softmax from logits such as ``ln(3)``, or probabilities),
``reinforce`` (REINFORCE and actor-critic gradients), ``gae``, ``ppo`` (clipped
surrogate, KL penalty), ``kl`` (categorical KL and k1/k2/k3), ``grpo`` (group advantages).
The formulas ``rlcli train`` uses (``gae``, ``clipped_objective``, ``k3``,
``group_advantages``) are called here, not rewritten; importance sampling from returns
and ratios is ``rlcli.replay.importance``.
"""
