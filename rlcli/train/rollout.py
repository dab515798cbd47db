"""Collecting experience from a vectorised task: fixed-length rollouts and whole episodes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlcli.envs.vector import VectorEnv
from rlcli.train.agent import ActorCritic
from rlcli.train.curves import EpisodeTracker


@dataclass
class Batch:
    """(T, N, ...) arrays of one rollout; ``alive`` marks steps that happened (episodes mode)."""

    obs: np.ndarray
    actions: np.ndarray
    logp: np.ndarray
    logp_all: np.ndarray
    masks: np.ndarray | None
    rewards: np.ndarray
    dones: np.ndarray
    alive: np.ndarray
    values: np.ndarray | None = None
    last_value: np.ndarray | None = None
    # (agent.policy_out, agent.values) of the flattened batch, caches included (rollout only)
    forward: tuple | None = None

    @property
    def steps(self) -> int:
        return int(self.alive.sum())


def _act(env: VectorEnv, agent: ActorCritic, obs: np.ndarray, rng: np.random.Generator):
    mask = env.action_mask()
    out, _ = agent.policy_out(obs, mask)
    actions = agent.dist.sample(out, rng)
    return mask, out, actions


def rollout(
    env: VectorEnv,
    agent: ActorCritic,
    obs: np.ndarray,
    n_steps: int,
    rng: np.random.Generator,
    tracker: EpisodeTracker,
    gamma: float,
    bootstrap_truncated: bool = True,
) -> tuple[Batch, np.ndarray]:
    """``n_steps`` steps of every copy; returns the batch and the observation to continue from.

    Time-limit truncation is bootstrapped: r_t += γV(s_final) where the episode was
    truncated and not terminated, then the step counts as done (the SB3 choice; treating
    truncation as termination would teach V that time runs out where it does not show).
    """
    N = env.num_envs
    obs_buf = np.zeros((n_steps, N, env.obs_dim), dtype=agent.dtype)  # as the networks read it
    shape = (n_steps, N, env.n_actions) if agent.continuous else (n_steps, N)
    act_buf = np.zeros(shape, dtype=np.float64 if agent.continuous else np.int64)
    mask_buf = None
    rew_buf = np.zeros((n_steps, N))
    done_buf = np.zeros((n_steps, N))
    trunc_obs: list[tuple[int, np.ndarray, np.ndarray]] = []
    for t in range(n_steps):
        mask = env.action_mask()
        if mask is not None:
            if mask_buf is None:
                mask_buf = np.ones((n_steps, N, env.n_actions), dtype=bool)
            mask_buf[t] = mask
        actions = agent.act(obs, mask, rng)
        obs_buf[t], act_buf[t] = obs, actions
        obs, reward, terminated, truncated, info = env.step(actions)
        done = terminated | truncated
        tracker.record(info.get("raw_reward", reward), done)  # the return as the task pays it
        rew_buf[t] = reward
        done_buf[t] = done
        if bootstrap_truncated and truncated.any():  # rare: most steps skip the test below
            cut = truncated & ~terminated
            if cut.any():
                trunc_obs.append((t, np.flatnonzero(cut), info["final_obs"][cut]))
    # π_old(·|s) of the whole batch in one pass, computed as the update will recompute it
    flat = n_steps * N
    policy_out = agent.policy_out(
        obs_buf.reshape(flat, -1), None if mask_buf is None else mask_buf.reshape(flat, -1)
    )
    logp_all = policy_out[0]
    logp_buf = agent.dist.log_prob(logp_all, act_buf.reshape(flat, *act_buf.shape[2:]))
    logp_all_buf = logp_all.reshape(n_steps, N, -1)
    logp_buf = logp_buf.reshape(n_steps, N)
    batch = Batch(
        obs_buf,
        act_buf,
        logp_buf,
        logp_all_buf,
        mask_buf,
        rew_buf,
        done_buf,
        np.ones((n_steps, N), dtype=bool),
    )
    if agent.critic is not None:
        critic_out = agent.values(obs_buf.reshape(flat, -1))
        batch.forward = (policy_out, critic_out)
        batch.values = critic_out[0].reshape(n_steps, N)
        batch.last_value = agent.value(obs)
        if trunc_obs:
            final = agent.value(np.concatenate([o for _, _, o in trunc_obs]))
            i = 0
            for t, idx, _ in trunc_obs:
                rew_buf[t, idx] += gamma * final[i : i + len(idx)]
                i += len(idx)
    return batch, obs


def episodes(
    env: VectorEnv,
    agent: ActorCritic,
    rng: np.random.Generator,
    tracker: EpisodeTracker,
    options: dict | None = None,
) -> Batch:
    """One whole episode per copy (copies that finish wait, masked by ``alive``)."""
    N = env.num_envs
    obs, _ = env.reset(options=options)
    tracker.reset_running()
    rows: list[tuple] = []
    alive = np.ones(N, dtype=bool)
    for _ in range(env.max_episode_steps):
        mask, logp_all, actions = _act(env, agent, obs, rng)
        next_obs, reward, terminated, truncated, info = env.step(actions)
        done = terminated | truncated
        tracker.record(info.get("raw_reward", reward), done, alive)
        rows.append((obs, actions, logp_all, mask, np.where(alive, reward, 0.0), done, alive))
        alive = alive & ~done
        obs = next_obs
        if not alive.any():
            break
    obs_b, act_b, lpa_b, mask_b, rew_b, done_b, alive_b = (
        list(c) for c in zip(*rows, strict=False)
    )
    masks = None if mask_b[0] is None else np.stack(mask_b)
    act = np.stack(act_b)
    lpa = np.stack(lpa_b)
    T = len(act)
    logp = agent.dist.log_prob(lpa.reshape(T * N, -1), act.reshape(T * N, *act.shape[2:]))
    return Batch(
        np.stack(obs_b),
        act,
        logp.reshape(T, N),
        lpa,
        masks,
        np.stack(rew_b),
        np.stack(done_b).astype(float),
        np.stack(alive_b),
    )


@dataclass
class AdvantageBatch:
    """A rollout flattened to (T·N, ...) samples with GAE advantages and value targets."""

    obs: np.ndarray
    actions: np.ndarray
    masks: np.ndarray | None
    logp: np.ndarray
    logp_all: np.ndarray
    values: np.ndarray
    advantages: np.ndarray
    returns: np.ndarray
    steps: int
    forward: tuple | None = None  # Batch.forward: π and V of ``obs`` at the rollout's weights


def rollout_advantages(run) -> AdvantageBatch:
    """Roll out ``n_steps`` per copy from ``run.obs`` (advancing it); Â = GAE(γ, λ), R = Â + V."""
    from rlcli.train.gae import gae

    cfg = run.cfg
    batch, run.obs = rollout(
        run.env,
        run.agent,
        run.obs,
        cfg.n_steps,
        run.rng,
        run.tracker,
        cfg.gamma,
        cfg.bootstrap_truncation,
    )
    adv = gae(batch.rewards, batch.values, batch.last_value, batch.dones, cfg.gamma, cfg.lam)
    flat = batch.obs.shape[0] * batch.obs.shape[1]
    return AdvantageBatch(
        obs=batch.obs.reshape(flat, -1),
        actions=batch.actions.reshape(flat, *batch.actions.shape[2:]),
        masks=None if batch.masks is None else batch.masks.reshape(flat, -1),
        logp=batch.logp.ravel(),
        logp_all=batch.logp_all.reshape(flat, -1),
        values=batch.values.ravel(),
        advantages=adv.ravel(),
        returns=(adv + batch.values).ravel(),
        steps=batch.steps,
        forward=batch.forward,
    )
