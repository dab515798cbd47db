"""``rlcli calc reinforce`` / ``actor-critic`` against hand-worked gradients of a two-state
softmax policy, and against central finite differences of the surrogate
Σ_t γ^t·weight_t·log π_θ(A_t|S_t) written out in the test."""

from __future__ import annotations

import json
import math
from fractions import Fraction as F

import numpy as np
from typer.testing import CliRunner

from rlcli.cli.app import app

LOGITS = "s1: L=0, R=ln(3); s2: L=0, R=0"  # π(·|s1) = (1/4, 3/4), π(·|s2) = (1/2, 1/2)


def calc(*args: str) -> dict:
    result = CliRunner().invoke(app, ["calc", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def fractions(tree: dict) -> dict:
    return {s: {a: F(v) for a, v in row.items()} for s, row in tree.items()}


def test_policy_from_ln_logits_is_exact():
    doc = calc("reinforce", "--logits", LOGITS, "--trajectory", "s1 R 1")
    # e^0 = 1, e^ln3 = 3: π = 1/4, 3/4
    assert fractions(doc["exact"]["policy"]) == {
        "s1": {"L": F(1, 4), "R": F(3, 4)},
        "s2": {"L": F(1, 2), "R": F(1, 2)},
    }


def test_reinforce_gradient_with_and_without_baseline():
    # γ = 1: G_0 = 1 + 2 = 3, G_1 = 2
    # ∇log π(R|s1) = onehot(R) − π(·|s1) = (−1/4, 1/4); ∇log π(L|s2) = (1/2, −1/2)
    # no baseline: s1: 3·(−1/4, 1/4) = (−3/4, 3/4); s2: 2·(1/2, −1/2) = (1, −1)
    # baseline b(s1) = 2, b(s2) = 1: weights 1 and 1: s1 (−1/4, 1/4), s2 (1/2, −1/2)
    doc = calc(
        "reinforce", "--logits", LOGITS, "--trajectory", "s1 R 1 s2 L 2", "--baseline", "s1=2, s2=1"
    )
    assert doc["exact"]["returns"] == ["3", "2"]
    assert fractions(doc["exact"]["gradient"]) == {
        "s1": {"L": F(-1, 4), "R": F(1, 4)},
        "s2": {"L": F(1, 2), "R": F(-1, 2)},
    }
    assert fractions(doc["exact"]["gradient_no_baseline"]) == {
        "s1": {"L": F(-3, 4), "R": F(3, 4)},
        "s2": {"L": F(1), "R": F(-1)},
    }


def test_gamma_t_option_and_averaging_and_step():
    # γ = 1/2: G_0 = 1 + 1/2·2 = 2, G_1 = 2
    # with γ^t: s1: 1·2·(−1/4, 1/4) = (−1/2, 1/2); s2: (1/2)·2·(1/2, −1/2) = (1/2, −1/2)
    # without: s2: 2·(1/2, −1/2) = (1, −1)
    traj = ["--trajectory", "s1 R 1 s2 L 2", "--gamma", "1/2"]
    with_t = calc("reinforce", "--logits", LOGITS, *traj)
    assert fractions(with_t["exact"]["gradient"])["s2"] == {"L": F(1, 2), "R": F(-1, 2)}
    assert with_t["gamma_t"] is True
    without = calc("reinforce", "--logits", LOGITS, *traj, "--no-gamma-t")
    assert fractions(without["exact"]["gradient"])["s2"] == {"L": F(1), "R": F(-1)}
    # a second trajectory with return 0 halves the average; lr = 1: θ(s1,R) = ln 3 + 3/8
    two = ["--trajectory", "s1 R 1 s2 L 2", "--trajectory", "s1 L 0"]
    doc = calc("reinforce", "--logits", LOGITS, *two, "--lr", "1")
    assert fractions(doc["exact"]["gradient"]) == {
        "s1": {"L": F(-3, 8), "R": F(3, 8)},
        "s2": {"L": F(1, 2), "R": F(-1, 2)},
    }
    assert doc["exact"]["theta"]["s1"]["R"] == "ln(3) + 3/8"
    assert math.isclose(doc["theta"]["s1"]["R"], math.log(3) + 3 / 8)


def test_probs_give_the_same_gradient_as_logits():
    a = calc("reinforce", "--logits", LOGITS, "--trajectory", "s1 R 1 s2 L 2")
    probs = "s1: L=1/4, R=3/4; s2: L=1/2, R=1/2"
    b = calc("reinforce", "--probs", probs, "--trajectory", "s1 R 1 s2 L 2")
    assert a["exact"]["gradient"] == b["exact"]["gradient"]


def test_gradient_matches_finite_differences_of_the_surrogate():
    logits = {"s1": np.array([0.3, -0.2, 0.5]), "s2": np.array([0.1, 0.0, -0.4])}
    acts = ["a", "b", "c"]
    text = "; ".join(
        f"{s}: " + ", ".join(f"{a}={x}" for a, x in zip(acts, v, strict=True))
        for s, v in logits.items()
    )
    traj = [("s1", "b", 1.0), ("s2", "c", -2.0), ("s1", "a", 0.5)]
    gamma = 0.9
    baseline = {"s1": 0.25, "s2": -1.0}
    G = [0.0] * 3
    running = 0.0
    for t in range(2, -1, -1):
        running = traj[t][2] + gamma * running
        G[t] = running

    def surrogate(th: dict) -> float:
        total = 0.0
        for t, (s, a, _) in enumerate(traj):
            z = th[s] - th[s].max()
            logp = z[acts.index(a)] - math.log(np.exp(z).sum())
            total += gamma**t * (G[t] - baseline[s]) * logp
        return total

    h = 1e-6
    doc = calc(
        "reinforce",
        "--logits",
        text,
        "--gamma",
        "0.9",
        "--baseline",
        "s1=0.25, s2=-1",
        "--trajectory",
        " ".join(f"{s} {a} {r}" for s, a, r in traj),
    )
    for s in logits:
        for i, a in enumerate(acts):
            up = {k: v.copy() for k, v in logits.items()}
            dn = {k: v.copy() for k, v in logits.items()}
            up[s][i] += h
            dn[s][i] -= h
            fd = (surrogate(up) - surrogate(dn)) / (2 * h)
            assert math.isclose(doc["gradient"][s][a], fd, rel_tol=1e-6, abs_tol=1e-8)


def test_actor_critic_uses_the_td_error():
    # V(s1) = 1, V(s2) = 2, γ = 1, trajectory ends with a reward (terminal)
    # δ_0 = 1 + V(s2)=2 − 1 = 2; δ_1 = 2 + 0 − 2 = 0
    # ĝ: s1: 2·(−1/4, 1/4) = (−1/2, 1/2); s2: 0
    critic = ["actor-critic", "--logits", LOGITS, "--values", "s1=1, s2=2"]
    doc = calc(*critic, "--trajectory", "s1 R 1 s2 L 2")
    assert fractions(doc["exact"]["gradient"]) == {
        "s1": {"L": F(-1, 2), "R": F(1, 2)},
        "s2": {"L": F(0), "R": F(0)},
    }
    # ending with a state bootstraps from it: δ_1 = 2 + V(s1)=1 − 2 = 1 → s2: (1/2, −1/2)
    doc = calc(*critic, "--trajectory", "s1 R 1 s2 L 2 s1")
    assert fractions(doc["exact"]["gradient"])["s2"] == {"L": F(1, 2), "R": F(-1, 2)}


def test_bad_trajectories_exit_2():
    for args, word in [
        (["--trajectory", "s3 R 1"], "unknown state 's3'"),
        (["--trajectory", "s1 X 1"], "token 2"),
        (["--trajectory", "s1 R s2"], "token 3"),
        (["--trajectory", "1 R 1"], "token 1"),
    ]:
        result = CliRunner().invoke(app, ["calc", "reinforce", "--logits", LOGITS, *args])
        assert result.exit_code == 2 and word in result.output, result.output


def test_actor_critic_json_gives_the_deltas_not_mc_returns():
    # review: --json had no deltas though the text shows δ_t, and MC returns it does not use.
    # V(s1) = 1, V(s2) = 2, γ = 1/2, the trajectory ends in s1 (bootstrapped):
    # δ_0 = 1 + ½·V(s2) − V(s1) = 1 + 1 − 1 = 1; δ_1 = 2 + ½·V(s1) − V(s2) = 2 + ½ − 2 = ½
    critic = ["actor-critic", "--logits", LOGITS, "--values", "s1=1, s2=2", "--gamma", "1/2"]
    doc = calc(*critic, "--trajectory", "s1 R 1 s2 L 2 s1")
    assert doc["exact"]["deltas"] == ["1", "1/2"] and doc["deltas"] == [1, 0.5]
    assert "returns" not in doc and "returns" not in doc["exact"]
    assert [s["delta"] for s in doc["steps"] if "delta" in s] == [1, 0.5]
    ok = CliRunner().invoke(app, ["calc", *critic, "--trajectory", "s1 R 1 s2 L 2 s1",
                                  "--answer", "deltas: [1, 1/2]"])  # fmt: skip
    assert ok.exit_code == 0, ok.output


def test_several_trajectories_give_every_trajectory_its_returns():
    # review: with two --trajectory, the top-level returns held only the first's.
    # γ = 1: trajectory 1 "s1 R 1 s2 L 2": G = (3, 2); trajectory 2 "s2 L 5": G = (5)
    doc = calc("reinforce", "--logits", LOGITS, "--trajectory", "s1 R 1 s2 L 2",
               "--trajectory", "s2 L 5")  # fmt: skip
    assert doc["exact"]["returns"] == [["3", "2"], ["5"]] and doc["returns"] == [[3, 2], [5]]
    # two trajectories of actor-critic, V(s1) = 1, V(s2) = 2, γ = 1, each ending with a
    # reward: δ = (1 + 2 − 1, 2 + 0 − 2) = (2, 0) and (5 + 0 − 2) = (3)
    doc = calc("actor-critic", "--logits", LOGITS, "--values", "s1=1, s2=2",
               "--trajectory", "s1 R 1 s2 L 2", "--trajectory", "s2 L 5")  # fmt: skip
    assert doc["exact"]["deltas"] == [["2", "0"], ["3"]]
    assert [t["deltas"] for t in doc["trajectories"]] == [[2, 0], [3]]
