"""The diagonal Gaussian policy for continuous actions, with a state-independent log-std.

The policy's output row is ``out = [μ(s) | log σ]`` (N, 2D): the mean from the network, the
log standard deviations a free parameter shared by every state (as CleanRL's
``actor_logstd``). Every function here takes that row, the way ``categorical`` takes log π(·|s),
and returns gradients with respect to it: ∂L/∂μ in the first D columns, ∂L/∂log σ in the last.
"""

from __future__ import annotations

import math

import numpy as np

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def split(out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(μ, log σ), each (N, D)."""
    d = out.shape[-1] // 2
    return out[..., :d], out[..., d:]


def log_prob(out: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """log π(a|s) = Σ_i [−½((a_i − μ_i)/σ_i)² − log σ_i − ½ log 2π], per row."""
    mu, log_std = split(out)
    z = (actions - mu) * np.exp(-log_std)
    return (-0.5 * z * z - log_std - HALF_LOG_2PI).sum(axis=-1)


def entropy(out: np.ndarray) -> np.ndarray:
    """H = Σ_i (log σ_i + ½ log 2πe), per row."""
    _, log_std = split(out)
    return (log_std + 0.5 + HALF_LOG_2PI).sum(axis=-1)


def sample(out: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """a = μ + σ·ξ, ξ ~ N(0, I)."""
    mu, log_std = split(out)
    return mu + np.exp(log_std) * rng.standard_normal(mu.shape)


def grad_log_prob(out: np.ndarray, actions: np.ndarray, g: np.ndarray) -> np.ndarray:
    """∂L/∂out given ∂L/∂log π(a_i|s_i) = g_i:
    ∂log π/∂μ = (a − μ)/σ², ∂log π/∂log σ = ((a − μ)/σ)² − 1."""
    mu, log_std = split(out)
    z = (actions - mu) * np.exp(-log_std)
    return np.concatenate([z * np.exp(-log_std), z * z - 1.0], axis=-1) * g[:, None]


def grad_entropy(out: np.ndarray, g: np.ndarray) -> np.ndarray:
    """∂L/∂out given ∂L/∂H_i = g_i: ∂H/∂μ = 0, ∂H/∂log σ = 1."""
    mu, log_std = split(out)
    return np.concatenate([np.zeros_like(mu), np.ones_like(log_std)], axis=-1) * g[:, None]


def kl(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """KL(π_old ‖ π_new) = Σ_i [log σ_n − log σ_o + (σ_o² + (μ_o − μ_n)²)/(2σ_n²) − ½], per row."""
    mu_o, ls_o = split(old)
    mu_n, ls_n = split(new)
    ratio = (np.exp(2 * ls_o) + (mu_o - mu_n) ** 2) * np.exp(-2 * ls_n)
    return (ls_n - ls_o + 0.5 * ratio - 0.5).sum(axis=-1)


def grad_kl(old: np.ndarray, new: np.ndarray, g: np.ndarray) -> np.ndarray:
    """∂L/∂new given ∂L/∂KL_i = g_i: ∂KL/∂μ_n = (μ_n − μ_o)/σ_n²,
    ∂KL/∂log σ_n = 1 − (σ_o² + (μ_o − μ_n)²)/σ_n²."""
    mu_o, ls_o = split(old)
    mu_n, ls_n = split(new)
    inv_var = np.exp(-2 * ls_n)
    ratio = (np.exp(2 * ls_o) + (mu_o - mu_n) ** 2) * inv_var
    return np.concatenate([(mu_n - mu_o) * inv_var, 1.0 - ratio], axis=-1) * g[:, None]
