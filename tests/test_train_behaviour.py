"""What each training algorithm does to the weights, checked against independent computations.

The gradient an iteration hands to the optimizer is recorded (``agent.apply`` is wrapped)
together with the weights it was computed at, and compared with a central finite difference
of the published objective written out here from the samples the task produced (the task's
``step`` is wrapped too). Schedules are checked against their formulas, and a few behaviours
(zero advantages leave the weights alone, an entropy bonus keeps a bandit policy spread out)
against what must happen whatever the implementation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rlcli.mdp.read.load import loads_mdp
from rlcli.train.config import default_config
from rlcli.train.run import ITERATIONS, Runner, train

# ---------------------------------------------------------------- recording helpers


def record_gradients(agent, step: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """Wrap ``agent.apply``: log (weights before the step, raw gradient); step only if ``step``."""
    log: list[tuple[np.ndarray, np.ndarray]] = []
    original = agent.apply

    def apply(grads, max_grad_norm):
        log.append((agent.flat.copy(), np.concatenate([g.ravel() for g in grads])))
        return original(grads, max_grad_norm) if step else 0.0

    agent.apply = apply
    return log


def record_steps(env) -> list[tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray]]:
    """Wrap ``env.step``: log (state before the step or None, actions, rewards, done)."""
    log: list = []
    original = env.step

    def step(actions):
        state = getattr(env, "state", None)
        state = None if state is None else np.array(state, copy=True)
        out = original(actions)
        log.append((state, np.array(actions, copy=True), out[1].copy(), out[2] | out[3]))
        return out

    env.step = step
    return log


def evaluate(agent, theta: np.ndarray, obs: np.ndarray, mask=None):
    """log π(·|s) and V(s) (zeros without a critic) of ``agent``'s network at weights ``theta``."""
    saved = agent.flat.copy()
    agent.flat[:] = theta
    try:
        logp_all, _ = agent.log_probs(obs, mask)
        values = agent.value(obs)
    finally:
        agent.flat[:] = saved
    return logp_all, values


def finite_difference(f, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences (f(θ + h e_j) − f(θ − h e_j)) / 2h for every coordinate j."""
    grad = np.zeros_like(theta)
    for j in range(len(theta)):
        e = np.zeros_like(theta)
        e[j] = h
        grad[j] = (f(theta + e) - f(theta - e)) / (2 * h)
    return grad


def picked(logp_all: np.ndarray, actions: np.ndarray) -> np.ndarray:
    return logp_all[np.arange(len(actions)), actions]


def entropy(logp_all: np.ndarray) -> np.ndarray:
    return -(np.exp(logp_all) * logp_all).sum(axis=1)


def one_hot(states: np.ndarray, size: int) -> np.ndarray:
    return np.eye(size)[states]


def standardised(x: np.ndarray, eps: float) -> np.ndarray:
    return (x - x.mean()) / (x.std() + eps)


def assert_gradient(recorded: np.ndarray, expected: np.ndarray) -> None:
    assert np.abs(expected).max() > 1e-3  # the check is not vacuous
    np.testing.assert_allclose(recorded, expected, rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------- learning-rate and clip schedules


@pytest.mark.parametrize("algo", ["ppo", "grpo", "reinforce"])
def test_lr_decays_linearly_to_zero_when_annealed(algo):
    # lr_k = lr·(1 − steps done before iteration k / total steps)
    cfg = default_config(algo, "bandit").updated(total_steps=640, seed=0, lr=0.05)
    assert cfg.anneal_lr
    history = train(algo, "bandit", cfg).history
    assert len(history) >= 5
    before = [0] + [h["env_steps"] for h in history[:-1]]
    for h, done in zip(history, before, strict=True):
        assert h["lr"] == pytest.approx(0.05 * (1 - done / 640), rel=1e-12, abs=1e-15)
    assert history[-1]["lr"] < 0.05 * 0.25


def test_lr_stays_constant_without_annealing():
    cfg = default_config("ppo", "bandit").updated(total_steps=640, seed=0, lr=0.05, anneal_lr=False)
    history = train("ppo", "bandit", cfg).history
    assert len(history) >= 5
    assert all(h["lr"] == 0.05 for h in history)


@pytest.mark.parametrize("anneal", [True, False])
def test_ppo_clip_epsilon_schedule(anneal):
    # ε_k = ε·(1 − steps done / total) with --anneal-clip, else ε every iteration
    cfg = default_config("ppo", "bandit").updated(
        total_steps=640, seed=0, clip=0.3, anneal_clip=anneal
    )
    history = train("ppo", "bandit", cfg).history
    assert len(history) >= 5
    before = [0] + [h["env_steps"] for h in history[:-1]]
    for h, done in zip(history, before, strict=True):
        want = 0.3 * (1 - done / 640) if anneal else 0.3
        assert h["clip"] == pytest.approx(want, rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------- PPO on the bandit


def ppo_bandit_iteration(remaining: float = 1.0, **changes):
    """One PPO iteration on a 10-armed Gaussian bandit (γ = 0, tabular nets started at 0).

    With V_old = 0 and γ = 0: Â_t = r_t and the value target R_t = r_t exactly.
    """
    cfg = default_config("ppo", "bandit").updated(seed=7, **changes)
    runner = Runner("ppo", "bandit", cfg)
    runner.remaining = remaining
    steps = record_steps(runner.env)
    grads = record_gradients(runner.agent)
    stats = ITERATIONS["ppo"](runner)
    actions = np.concatenate([a for _, a, _, _ in steps])
    rewards = np.concatenate([r for _, _, r, _ in steps])
    return cfg, runner, stats, grads, actions, rewards


def ppo_objective(cfg, runner, theta, old_theta, actions, rewards, clip, beta=None):
    """PPO (Schulman et al. 2017) on one full-batch minibatch, written out:
    L = −mean min(ρÂ, clip(ρ, 1±ε)Â) [or −mean ρÂ + β KL(π_old‖π)] − c_H mean H(π) + c_V L_V,
    Â standardised over the minibatch (ε 1e-8) when norm_adv, L_V = ½ mean (V − R)² or its
    clipped form ½ mean max((V − R)², (V_old + clip(V − V_old, ±ε_V) − R)²)."""
    obs = np.ones((len(actions), 1))
    logp_all, v = evaluate(runner.agent, theta, obs)
    old_all, v_old = evaluate(runner.agent, old_theta, obs)
    assert np.all(v_old == 0)
    adv = standardised(rewards, 1e-8) if cfg.norm_adv else rewards
    ratio = np.exp(picked(logp_all, actions) - picked(old_all, actions))
    if beta is None:
        policy = np.mean(np.maximum(-adv * ratio, -adv * np.clip(ratio, 1 - clip, 1 + clip)))
    else:
        kl = (np.exp(old_all) * (old_all - logp_all)).sum(axis=1)
        policy = np.mean(-adv * ratio) + beta * np.mean(kl)
    if cfg.clip_value is None:
        value = 0.5 * np.mean((v - rewards) ** 2)
    else:
        v_clipped = v_old + np.clip(v - v_old, -cfg.clip_value, cfg.clip_value)
        value = 0.5 * np.mean(np.maximum((v - rewards) ** 2, (v_clipped - rewards) ** 2))
    return policy - cfg.ent_coef * np.mean(entropy(logp_all)) + cfg.vf_coef * value


@pytest.mark.parametrize(
    "anneal_clip, norm_adv",
    [(True, True), (False, True), (False, False)],
)
def test_ppo_clip_gradient_matches_finite_differences(anneal_clip, norm_adv):
    # at 50 % of the run: ε = 0.3·0.5 annealed, 0.3 not; entropy bonus on; every step of every
    # epoch (ρ moves away from 1 and the clip engages) is the gradient of the objective above
    cfg, runner, stats, grads, actions, rewards = ppo_bandit_iteration(
        remaining=0.5,
        clip=0.3,
        anneal_clip=anneal_clip,
        norm_adv=norm_adv,
        ent_coef=0.05,
        epochs=4,
        minibatches=1,
        lr=0.1,
    )
    clip = 0.15 if anneal_clip else 0.3
    assert stats["clip"] == pytest.approx(clip)
    assert len(grads) == 4
    assert stats["clip_frac"] > 0  # the clip was active on some step
    old_theta = grads[0][0]
    for theta, grad in grads:
        expected = finite_difference(
            lambda th: ppo_objective(cfg, runner, th, old_theta, actions, rewards, clip), theta
        )
        assert_gradient(grad, expected)


def test_ppo_normalised_advantages_give_zero_first_policy_loss():
    # at ρ = 1 the clipped surrogate is −mean(Â_norm) = 0 on a standardised minibatch
    *_, stats_norm, _, _, _rewards = ppo_bandit_iteration(epochs=1, minibatches=1, norm_adv=True)
    assert abs(stats_norm["policy_loss"]) < 1e-12
    *_, stats_raw, _, _, rewards_raw = ppo_bandit_iteration(epochs=1, minibatches=1, norm_adv=False)
    assert stats_raw["policy_loss"] == pytest.approx(-rewards_raw.mean(), rel=1e-9)


def test_ppo_normalises_each_minibatch_separately():
    # no step taken: every minibatch is at ρ = 1, so each one's loss −mean(Â_mb normalised)
    # is 0 when the normalisation is per minibatch (raw advantages leave −mean(Â_mb))
    cfg = default_config("ppo", "bandit").updated(seed=3, epochs=1, minibatches=4)
    runner = Runner("ppo", "bandit", cfg)
    grads = record_gradients(runner.agent, step=False)
    stats = ITERATIONS["ppo"](runner)
    assert len(grads) == 4
    assert abs(stats["policy_loss"]) < 1e-12


def test_ppo_value_clipping_gradient_matches_finite_differences():
    cfg, runner, _stats, grads, actions, rewards = ppo_bandit_iteration(
        clip_value=0.05, epochs=4, minibatches=1, lr=0.1
    )
    old_theta = grads[0][0]
    obs = np.ones((1, 1))
    moved = [abs(evaluate(runner.agent, theta, obs)[1][0]) for theta, _ in grads[1:]]
    assert max(moved) > 0.05  # later steps are outside the value clip range
    for theta, grad in grads:
        expected = finite_difference(
            lambda th: ppo_objective(cfg, runner, th, old_theta, actions, rewards, cfg.clip), theta
        )
        assert_gradient(grad, expected)


def test_ppo_value_clipping_limits_the_critics_move():
    # the clipped value loss has no gradient once V is more than ε_V past V_old towards R,
    # so over 8 epochs V moves far less than without clipping
    def value_change(**clip):
        _cfg, runner, *_ = ppo_bandit_iteration(epochs=8, minibatches=1, lr=0.1, **clip)
        return abs(runner.agent.value(np.ones((1, 1)))[0])

    unclipped, clipped = value_change(), value_change(clip_value=0.01)
    assert unclipped > 0.3
    assert clipped < 0.5 * unclipped


def test_ppo_kl_penalty_gradient_matches_finite_differences():
    # the KL(π_old‖π) term has zero gradient at π = π_old: the later epochs test it
    cfg, runner, _stats, grads, actions, rewards = ppo_bandit_iteration(
        kl_penalty=True, beta=4.0, epochs=4, minibatches=1, lr=0.1
    )
    old_theta = grads[0][0]
    for theta, grad in grads:
        expected = finite_difference(
            lambda th: ppo_objective(cfg, runner, th, old_theta, actions, rewards, cfg.clip, 4.0),
            theta,
        )
        assert_gradient(grad, expected)


def test_ppo_kl_penalty_holds_the_policy_near_pi_old():
    # a large β keeps KL(π_old‖π) after the update much smaller than a small β does
    def kl_after(beta):
        *_, stats, _, _, _ = ppo_bandit_iteration(
            kl_penalty=True, beta=beta, kl_target=1.0, epochs=10, minibatches=1, lr=0.1
        )
        return stats["kl"]

    assert kl_after(50.0) < 0.3 * kl_after(1e-3)


def test_ppo_target_kl_stops_the_epochs_early():
    def run(target_kl):
        cfg = default_config("ppo", "bandit").updated(
            seed=1, epochs=6, minibatches=2, target_kl=target_kl
        )
        runner = Runner("ppo", "bandit", cfg)
        grads = record_gradients(runner.agent)
        return ITERATIONS["ppo"](runner), len(grads)

    stats, n = run(None)
    assert not stats["early_stop"] and n == 12
    # the second minibatch of epoch 1 sees the first one's update: KL > 1e-9 there
    stats, n = run(1e-9)
    assert stats["early_stop"] and n == 2
    stats, n = run(10.0)  # never exceeded
    assert not stats["early_stop"] and n == 12


# ---------------------------------------------------------------- entropy bonus


def test_entropy_bonus_gradient_sign_on_a_near_deterministic_policy():
    # with all-equal rewards (zero advantages after standardising) the only force is the
    # bonus −c_H·H: its step must raise the entropy of a peaked policy, never lower it
    cfg = default_config("reinforce", "bandit").updated(
        seed=0, norm_adv=True, ent_coef=1.0, lr=0.05, task_options={"arms": "bernoulli"}
    )
    runner = Runner("reinforce", "bandit", cfg)
    runner.env.means[:] = 1.0  # every pull pays 1
    runner.agent.flat[10:20] = np.linspace(0, 3, 10)  # a peaked start (bias of the logits)
    obs = np.ones((1, 1))
    h0 = entropy(runner.agent.log_probs(obs, None)[0])[0]
    grads = record_gradients(runner.agent)
    ITERATIONS["reinforce"](runner)
    h1 = entropy(runner.agent.log_probs(obs, None)[0])[0]
    assert h1 > h0 + 0.01
    theta, grad = grads[0]
    expected = finite_difference(
        lambda th: -1.0 * entropy(evaluate(runner.agent, th, obs)[0])[0], theta
    )
    assert_gradient(grad, expected)


def test_entropy_bonus_keeps_a_bandit_policy_spread_out():
    def final_entropy(ent_coef):
        cfg = default_config("ppo", "bandit").updated(
            total_steps=2000, seed=2, ent_coef=ent_coef, anneal_lr=False
        )
        return train("ppo", "bandit", cfg).history[-1]["entropy"]

    log_k = math.log(10)
    assert final_entropy(0.0) < 0.7 * log_k  # learning concentrates on the best arms
    assert final_entropy(1.0) > 0.9 * log_k  # a strong bonus keeps it near uniform


# ---------------------------------------------------------------- REINFORCE

# reward only at the first of two steps: the second step's reward-to-go is 0
CHAIN = """
gamma: 1
states: [s0, s1, end]
terminal: [end]
start: s0
transitions:
  s0:
    left: {next: s1, r: 1}
    right: {next: s1, r: 3}
  s1:
    left: {next: end, r: 0}
    right: {next: end, r: 0}
"""

# every episode returns 2 whatever the agent does
FLAT = """
gamma: 1
states: [s, end]
terminal: [end]
start: s
transitions:
  s:
    left: {next: end, r: 2}
    right: {next: end, r: 2}
"""


def reinforce_iteration(mdp_text: str, **changes):
    mdp = loads_mdp(mdp_text)
    cfg = default_config("reinforce", "gridworld").updated(n_envs=7, seed=4, gamma=1.0, **changes)
    runner = Runner("reinforce", "gridworld", cfg, mdp)
    steps = record_steps(runner.env)
    grads = record_gradients(runner.agent)
    before = runner.agent.flat.copy()
    ITERATIONS["reinforce"](runner)
    return mdp, runner, steps, grads, before


@pytest.mark.parametrize("norm_adv", [False, True])
def test_reinforce_gradient_is_reward_to_go_policy_gradient(norm_adv):
    # L = −(1/n) Σ_t G_t log π(a_t|s_t), G_t = Σ_{t' ≥ t} r_t' (to the episode's end),
    # G standardised over the batch (ε 1e-8) only with --normalize
    _mdp, runner, steps, grads, _ = reinforce_iteration(CHAIN, norm_adv=norm_adv)
    assert len(steps) == 2 and all(d.all() for *_, d in steps[1:])
    (s0, a0, r0, _), (s1, a1, r1, _) = steps
    assert (s0 == 0).all() and (s1 == 1).all() and (r1 == 0).all()
    states = np.concatenate([s0, s1])
    actions = np.concatenate([a0, a1])
    g = np.concatenate([r0 + r1, r1])  # reward-to-go
    adv = standardised(g, 1e-8) if norm_adv else g
    obs = one_hot(states, 3)

    def objective(theta):
        logp_all, _ = evaluate(runner.agent, theta, obs)
        return -np.mean(adv * picked(logp_all, actions))

    theta, grad = grads[0]
    assert_gradient(grad, finite_difference(objective, theta))
    if not norm_adv:
        # the tabular weights of s1 (row 1 of W: 2 actions) get no gradient: G = 0 there
        np.testing.assert_array_equal(grad[2:4], 0.0)


def test_reinforce_without_baseline_moves_on_equal_positive_returns():
    # every return is 2: no baseline → the sampled actions are reinforced (7 samples of 2
    # actions are never balanced, so the gradient is not 0); --normalize → all advantages 0
    *_, runner, _, grads, before = reinforce_iteration(FLAT, norm_adv=False)
    assert not np.array_equal(runner.agent.flat, before)
    *_, runner, _, grads, before = reinforce_iteration(FLAT, norm_adv=True)
    np.testing.assert_array_equal(grads[0][1], 0.0)
    np.testing.assert_array_equal(runner.agent.flat, before)


# ---------------------------------------------------------------- GRPO


def grpo_objective(runner, theta, old_theta, ref_theta, actions, rewards, G, clip, beta):
    """DeepSeekMath GRPO with one-token completions (bandit pulls): |o_i| = 1, so
    L = (1/PG) Σ_i [−min(ρ_i Â_i, clip(ρ_i, 1±ε) Â_i) + β k3_i],
    Â_i = (R_i − mean_group R) / (std_group R + 1e-4), k3 = e^Δ − Δ − 1, Δ = log π_ref − log π."""
    obs = np.ones((len(actions), 1))
    logp = picked(evaluate(runner.agent, theta, obs)[0], actions)
    old = picked(evaluate(runner.agent, old_theta, obs)[0], actions)
    ref = picked(evaluate(runner.agent, ref_theta, obs)[0], actions)
    groups = rewards.reshape(-1, G)
    adv = (
        (groups - groups.mean(axis=1, keepdims=True)) / (groups.std(axis=1, keepdims=True) + 1e-4)
    ).ravel()
    ratio = np.exp(logp - old)
    surrogate = np.maximum(-adv * ratio, -adv * np.clip(ratio, 1 - clip, 1 + clip))
    delta = ref - logp
    return np.mean(surrogate + beta * (np.exp(delta) - delta - 1))


def grpo_bandit_iteration(step: bool = True, **changes):
    """One GRPO iteration on the 10-armed bandit, 4 prompts × 8 completions, with the actor
    moved away from the (initial, uniform) reference first so the KL term is not 0."""
    cfg = default_config("grpo", "bandit").updated(seed=5, n_envs=32, group_size=8, **changes)
    runner = Runner("grpo", "bandit", cfg)
    ref_theta = runner.agent.flat.copy()
    runner.agent.flat[:] += np.random.default_rng(0).normal(0, 0.5, runner.agent.flat.shape)
    steps = record_steps(runner.env)
    grads = record_gradients(runner.agent, step)
    stats = ITERATIONS["grpo"](runner)
    (_, actions, rewards, _), *rest = steps
    assert not rest  # one-step episodes
    return cfg, runner, stats, grads, actions, rewards, ref_theta


def test_grpo_gradient_matches_finite_differences_of_the_deepseekmath_objective():
    cfg, runner, stats, grads, actions, rewards, ref_theta = grpo_bandit_iteration(
        kl_coef=0.5, epochs=4, minibatches=1, lr=0.1
    )
    assert len(grads) == 4 and stats["clip_frac"] > 0
    old_theta = grads[0][0]
    for theta, grad in grads:
        expected = finite_difference(
            lambda th: grpo_objective(
                runner, th, old_theta, ref_theta, actions, rewards, 8, cfg.clip, 0.5
            ),
            theta,
        )
        assert_gradient(grad, expected)


def test_grpo_kl_pulls_towards_the_reference():
    # zero advantages (every pull pays the same) leave only β·k3: the step must bring π
    # closer to the uniform reference, KL(π‖π_ref) falls
    cfg = default_config("grpo", "bandit").updated(
        seed=5,
        n_envs=32,
        group_size=8,
        kl_coef=1.0,
        epochs=1,
        minibatches=1,
        lr=0.05,
        task_options={"arms": "bernoulli"},
    )
    runner = Runner("grpo", "bandit", cfg)
    runner.env.means[:] = 1.0
    runner.agent.flat[10:20] = np.linspace(0, 2, 10)
    obs = np.ones((1, 1))

    def kl_to_uniform():
        logp = runner.agent.log_probs(obs, None)[0][0]
        return float((np.exp(logp) * (logp + math.log(10))).sum())

    k0 = kl_to_uniform()
    ITERATIONS["grpo"](runner)
    assert kl_to_uniform() < k0 - 0.01


def test_grpo_minibatch_gradients_average_to_the_full_batch_gradient():
    # no step taken (ρ = 1 throughout): each of the 4 minibatches of an epoch is an unbiased
    # estimate of the full-batch gradient, so their mean is exactly the full-batch gradient
    cfg, runner, _stats, grads, actions, rewards, ref_theta = grpo_bandit_iteration(
        step=False, kl_coef=0.5, epochs=1, minibatches=4
    )
    assert len(grads) == 4
    theta = grads[0][0]
    expected = finite_difference(
        lambda th: grpo_objective(runner, th, theta, ref_theta, actions, rewards, 8, cfg.clip, 0.5),
        theta,
    )
    assert_gradient(np.mean([g for _, g in grads], axis=0), expected)


# two start states; whatever the action, the episode pays 0 from a and 1 from b
TWO_STARTS = """
gamma: 1
states: [a, b, end]
terminal: [end]
transitions:
  a:
    left: {next: end, r: 0}
    right: {next: end, r: 0}
  b:
    left: {next: end, r: 1}
    right: {next: end, r: 1}
"""


def test_grpo_equal_rewards_within_every_group_leave_the_weights_unchanged():
    # the completions of a group share their start, so every group's rewards are equal:
    # all group-normalised advantages are 0 (kl_coef 0) → zero gradient, weights unchanged,
    # although the rewards differ between groups (a batch-wide baseline would move them)
    mdp = loads_mdp(TWO_STARTS)
    cfg = default_config("grpo", "gridworld").updated(
        seed=0, n_envs=32, group_size=4, kl_coef=0.0, epochs=2, minibatches=2
    )
    runner = Runner("grpo", "gridworld", cfg, mdp)
    steps = record_steps(runner.env)
    before = runner.agent.flat.copy()
    ITERATIONS["grpo"](runner)
    (_, _, rewards, _), *_ = steps
    groups = rewards.reshape(-1, 4)
    assert (groups == groups[:, :1]).all()
    assert 0 < groups[:, 0].sum() < len(groups)  # both starts drawn
    np.testing.assert_array_equal(runner.agent.flat, before)


def test_grpo_reference_stays_the_initial_policy():
    cfg = default_config("grpo", "bandit").updated(total_steps=640, seed=3, kl_coef=0.1)
    runner = Runner("grpo", "bandit", cfg)
    initial = runner.agent.flat.copy()
    for _ in range(5):
        ITERATIONS["grpo"](runner)
    assert np.abs(runner.agent.flat - initial).max() > 0.1  # the actor moved
    obs = np.ones((1, 1))
    np.testing.assert_array_equal(
        runner.reference.log_probs(obs, None)[0], evaluate(runner.agent, initial, obs)[0]
    )


# episodes of one or two tokens: s0 --left--> end (R = 0), s0 --right--> s1 --left/right--> end
# (R = 1 or 0.5): completions of unequal length in every group
FORK = """
gamma: 1
states: [s0, s1, end]
terminal: [end]
start: s0
transitions:
  s0:
    left: {next: end, r: 0}
    right: {next: s1, r: 0}
  s1:
    left: {next: end, r: 1}
    right: {next: end, r: 0.5}
"""


def test_grpo_gradient_on_completions_of_unequal_length():
    # L = (1/PG) Σ_i (1/|o_i|) Σ_t [−min(ρ_t Â_i, clip(ρ_t) Â_i) + β k3_t]
    mdp = loads_mdp(FORK)
    cfg = default_config("grpo", "gridworld").updated(
        seed=6, n_envs=16, group_size=8, kl_coef=0.3, epochs=3, minibatches=1, lr=0.1
    )
    runner = Runner("grpo", "gridworld", cfg, mdp)
    ref_theta = runner.agent.flat.copy()
    runner.agent.flat[:] += np.random.default_rng(1).normal(0, 0.5, runner.agent.flat.shape)
    steps = record_steps(runner.env)
    grads = record_gradients(runner.agent)
    ITERATIONS["grpo"](runner)
    alive = np.ones(16, dtype=bool)
    states, actions, episode, outcome = [], [], [], np.zeros(16)
    for s, a, r, done in steps:
        states.append(s[alive])
        actions.append(a[alive])
        episode.append(np.flatnonzero(alive))
        outcome += np.where(alive, r, 0.0)
        alive &= ~done
    assert not alive.any()
    states, actions, episode = map(np.concatenate, (states, actions, episode))
    length = np.bincount(episode, minlength=16)
    assert set(length) == {1, 2} and len(set(outcome)) == 3
    groups = outcome.reshape(-1, 8)
    adv = (groups - groups.mean(axis=1, keepdims=True)) / (groups.std(axis=1, keepdims=True) + 1e-4)
    adv = adv.ravel()[episode]
    weight = 1.0 / (16 * length[episode])
    obs = one_hot(states, 3)
    mask = np.ones((len(states), 2), dtype=bool)
    old_theta = grads[0][0]
    old = picked(evaluate(runner.agent, old_theta, obs, mask)[0], actions)
    ref = picked(evaluate(runner.agent, ref_theta, obs, mask)[0], actions)

    def objective(theta):
        logp = picked(evaluate(runner.agent, theta, obs, mask)[0], actions)
        ratio = np.exp(logp - old)
        surrogate = np.maximum(-adv * ratio, -adv * np.clip(ratio, 1 - cfg.clip, 1 + cfg.clip))
        delta = ref - logp
        return np.sum(weight * (surrogate + 0.3 * (np.exp(delta) - delta - 1)))

    assert len(grads) == 3
    for theta, grad in grads:
        assert_gradient(grad, finite_difference(objective, theta))
