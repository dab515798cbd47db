"""The actor-critic pair: a policy network and (optionally) a value network, one Adam.

The policy is a softmax over ``n_actions`` actions (``rlcli.nn.categorical``), or with
``continuous=True`` a diagonal Gaussian over ``n_actions`` action dimensions with a
state-independent log-std (``rlcli.nn.gaussian``). ``dist`` is that module: its functions
take the policy's output row (``policy_out``) and give log-probs, samples, entropies, KLs and
their gradients."""

from __future__ import annotations

from types import ModuleType

import numpy as np

from rlcli.nn import categorical, gaussian
from rlcli.nn.adam import Adam, clip_grad_norm
from rlcli.nn.categorical import log_softmax
from rlcli.nn.mlp import MLP

ROW_BLOCK = 8


def _padded(x: np.ndarray, dtype: type) -> np.ndarray:
    """Pad rows to a multiple of 8: BLAS then computes every row the same way whatever the
    batch size, so a shuffled minibatch recomputes the batch's log π_old bit for bit (PPO's
    ρ = 1 before the first step)."""
    extra = -len(x) % ROW_BLOCK
    if extra:
        x = np.concatenate([x, np.zeros((extra, x.shape[1]))])
    return x.astype(dtype, copy=False)


class ActorCritic:
    """Separate tanh MLPs for π(·|s) (logits or Gaussian means, output gain 0.01) and V(s)
    (output gain 1); a Gaussian policy's log σ starts at 0 (σ = 1, as CleanRL)."""

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        hidden: tuple[int, ...],
        lr: float,
        rng: np.random.Generator,
        critic: bool = True,
        dtype: type = np.float64,
        continuous: bool = False,
    ):
        self.dtype = dtype
        self.continuous = continuous
        # a linear (tabular) policy starts exactly uniform
        self.actor = MLP(obs_dim, hidden, n_actions, rng, 0.01 if hidden else 0.0, dtype)
        self.critic = (
            MLP(obs_dim, hidden, 1, rng, 1.0 if hidden else 0.0, dtype) if critic else None
        )
        nets = [self.actor] + ([self.critic] if self.critic else [])
        n_log_std = n_actions if continuous else 0
        size = sum(p.size for net in nets for p in net.params) + n_log_std
        self.flat = np.zeros(size, dtype=dtype)
        # ∇θ L in the same layout (actor, log σ of a Gaussian, critic), written in place by
        # the networks' backward passes: no concatenation of per-layer gradients per step
        self.grad = np.zeros(size, dtype=dtype)
        offset = self.actor.share(self.flat, 0, self.grad)
        self.log_std = self.flat[offset : offset + n_log_std]  # empty for a softmax policy
        self._grad_log_std = self.grad[offset : offset + n_log_std]
        if self.critic is not None:
            self.critic.share(self.flat, offset + n_log_std, self.grad)
        self.params = [*self.actor.params, *([self.log_std] if continuous else [])]
        self.params += self.critic.params if self.critic is not None else []
        self.optimizer = Adam([self.flat], lr)
        # what actor_grads + critic_grads return: the views of ``grad``, in its order
        self._grad_views = [*self.actor.grads, *([self._grad_log_std] if continuous else [])]
        self._grad_views += self.critic.grads if self.critic is not None else []

    @property
    def dist(self) -> ModuleType:
        """The policy's distribution functions: ``categorical`` or ``gaussian``."""
        return gaussian if self.continuous else categorical

    def log_probs(self, obs: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, list]:
        """(N, A) log π(·|s) and the cache for backprop."""
        n = len(obs)
        logits, cache = self.actor.forward(_padded(obs, self.dtype))
        return log_softmax(logits[:n].astype(np.float64), mask), cache

    def policy_out(self, obs: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, list]:
        """The row ``dist`` works on, and the cache for backprop: log π(·|s) (N, A) for a
        softmax policy, [μ(s) | log σ] (N, 2D) for a Gaussian one."""
        if not self.continuous:
            return self.log_probs(obs, mask)
        n = len(obs)
        mu, cache = self.actor.forward(_padded(obs, self.dtype))
        log_std = np.broadcast_to(self.log_std.astype(np.float64), (n, len(self.log_std)))
        return np.concatenate([mu[:n].astype(np.float64), log_std], axis=1), cache

    def act(self, obs: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
        """One action a ~ π(·|s) per row: Gumbel-max on the logits for a softmax policy (no
        normalisation needed), μ + σξ for a Gaussian one."""
        if self.continuous:
            return gaussian.sample(self.policy_out(obs, mask)[0], rng)
        logits, _ = self.actor.forward(_padded(obs, self.dtype))
        return categorical.gumbel_max(logits[: len(obs)], rng, mask)

    def values(self, obs: np.ndarray) -> tuple[np.ndarray, list]:
        n = len(obs)
        v, cache = self.critic.forward(_padded(obs, self.dtype))
        return v[:n, 0].astype(np.float64), cache

    def value(self, obs: np.ndarray) -> np.ndarray:
        return self.values(obs)[0] if self.critic else np.zeros(len(obs))

    def actor_grads(self, cache: list, dout: np.ndarray) -> list[np.ndarray]:
        """Gradients of the actor's parameters given ∂L/∂(policy_out) (for a softmax policy,
        ∂L/∂logits: ``categorical``'s gradients are with respect to the logits)."""
        if not self.continuous:
            return self.actor.backward(cache, _padded(dout, self.dtype))
        d = len(self.log_std)
        grads = self.actor.backward(cache, _padded(dout[:, :d], self.dtype))
        self._grad_log_std[...] = dout[:, d:].sum(axis=0)
        return [*grads, self._grad_log_std]

    def critic_grads(self, cache: list, dv: np.ndarray) -> list[np.ndarray]:
        return self.critic.backward(cache, _padded(dv[:, None], self.dtype))

    def apply(self, grads: list[np.ndarray], max_grad_norm: float) -> float:
        """Clip the global gradient norm, take one Adam step; returns the norm before clipping.

        ``grads`` in the order of ``params``; those ``actor_grads`` and ``critic_grads``
        return already lie in ``self.grad``, in place."""
        if len(grads) == len(self._grad_views) and all(
            g is v for g, v in zip(grads, self._grad_views, strict=True)
        ):
            flat = self.grad
        else:
            flat = np.concatenate(grads, axis=None)  # axis None: each one flattened, one call
        norm = clip_grad_norm([flat], max_grad_norm)
        self.optimizer.step([flat])
        return norm
