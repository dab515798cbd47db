"""The actor-critic pair: a softmax policy network and (optionally) a value network, one Adam."""

from __future__ import annotations

import numpy as np

from rlcli.nn.adam import Adam, clip_grad_norm
from rlcli.nn.categorical import log_softmax
from rlcli.nn.mlp import MLP

ROW_BLOCK = 8


def _padded(x: np.ndarray, dtype: type) -> np.ndarray:
    """Pad rows to a multiple of 8: BLAS then computes every row the same way whatever the
    batch size, so a minibatch recomputes the rollout's log π bit for bit (PPO's ρ = 1)."""
    extra = -len(x) % ROW_BLOCK
    if extra:
        x = np.concatenate([x, np.zeros((extra, x.shape[1]))])
    return x.astype(dtype, copy=False)


class ActorCritic:
    """Separate tanh MLPs for π(·|s) (logits, output gain 0.01) and V(s) (output gain 1)."""

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        hidden: tuple[int, ...],
        lr: float,
        rng: np.random.Generator,
        critic: bool = True,
        dtype: type = np.float64,
    ):
        self.dtype = dtype
        # a linear (tabular) policy starts exactly uniform
        self.actor = MLP(obs_dim, hidden, n_actions, rng, 0.01 if hidden else 0.0, dtype)
        self.critic = (
            MLP(obs_dim, hidden, 1, rng, 1.0 if hidden else 0.0, dtype) if critic else None
        )
        nets = [self.actor] + ([self.critic] if self.critic else [])
        self.flat = np.zeros(sum(p.size for net in nets for p in net.params), dtype=dtype)
        offset = 0
        for net in nets:
            offset = net.share(self.flat, offset)
        self.params = [p for net in nets for p in net.params]
        self.optimizer = Adam([self.flat], lr)

    def log_probs(self, obs: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, list]:
        """(N, A) log π(·|s) and the cache for backprop."""
        n = len(obs)
        logits, cache = self.actor.forward(_padded(obs, self.dtype))
        return log_softmax(logits[:n].astype(np.float64), mask), cache

    def values(self, obs: np.ndarray) -> tuple[np.ndarray, list]:
        n = len(obs)
        v, cache = self.critic.forward(_padded(obs, self.dtype))
        return v[:n, 0].astype(np.float64), cache

    def value(self, obs: np.ndarray) -> np.ndarray:
        return self.values(obs)[0] if self.critic else np.zeros(len(obs))

    def actor_grads(self, cache: list, dlogits: np.ndarray) -> list[np.ndarray]:
        return self.actor.backward(cache, _padded(dlogits, self.dtype))

    def critic_grads(self, cache: list, dv: np.ndarray) -> list[np.ndarray]:
        return self.critic.backward(cache, _padded(dv[:, None], self.dtype))

    def apply(self, grads: list[np.ndarray], max_grad_norm: float) -> float:
        """Clip the global gradient norm, take one Adam step; returns the norm before clipping."""
        flat = np.concatenate([g.ravel() for g in grads])
        norm = clip_grad_norm([flat], max_grad_norm)
        self.optimizer.step([flat])
        return norm
