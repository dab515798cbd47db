"""``rlcli.calc.mistakes``: each named mistake recomputes the document with the mistake made
(hand-worked numbers below), is listed only where it can change the numbers, and is what
``calc --answer`` diagnoses."""

from __future__ import annotations

import math
from fractions import Fraction as F

from helpers import diagnoses
from typer.testing import CliRunner

from rlcli.calc.mistakes import (
    CLIP_PRODUCT,
    NO_MIN,
    actor_critic_mistakes,
    gae_mistakes,
    grpo_mistakes,
    kl_mistakes,
    ppo_mistakes,
    reinforce_mistakes,
)
from rlcli.cli.app import app
from rlcli.grade.documents import worked_document


def cells(doc, key):
    return worked_document(doc).doc[key]


def test_ppo_clip_applied_to_the_product():
    # ε = 1/5, range [4/5, 6/5]. Pair (r, A) = (1, 2): right min(2, 1·2) = 2, ∂L/∂r = 2;
    # clip on rA: min(2, clip(2, 4/5, 6/5)) = min(2, 6/5) = 6/5, ∂/∂r = 0 (rA = 2 > 6/5).
    # Pair (1/2, 1): right min(1/2, (4/5)·1) = 1/2, ∂ = 1; clip on rA: min(1/2, 4/5) = 1/2,
    # ∂ = 1 (rA ≤ 6/5). Pair (3/2, -1): right min(-3/2, (6/5)(-1)) = -3/2, ∂ = -1;
    # clip on rA: min(-3/2, clip(-3/2) = 4/5) = -3/2, ∂ = -1.
    doc = ppo_mistakes([F(1), F(1, 2), F(3, 2)], [F(2), F(1), F(-1)], F(1, 5), None)[CLIP_PRODUCT]()
    assert cells(doc, "objective") == [F(6, 5), F(1, 2), F(-3, 2)]
    assert cells(doc, "gradient") == [0, 1, -1]
    # mean (6/5 + 1/2 − 3/2)/3 = (1/5)/3 = 1/15 (a float in the document, as calc's own)
    assert math.isclose(cells(doc, "mean_objective").value, 1 / 15)


def test_ppo_clipped_term_without_the_min():
    # clip(r)·A alone: (1, 2) → 2, ∂ 2 (inside); (1/2, 1) → (4/5)·1 = 4/5, ∂ 0 (outside);
    # (3/2, −1) → (6/5)(−1) = −6/5, ∂ 0 (the right answer takes the min, −3/2)
    doc = ppo_mistakes([F(1), F(1, 2), F(3, 2)], [F(2), F(1), F(-1)], F(1, 5), None)[NO_MIN]()
    assert cells(doc, "objective") == [2, F(4, 5), F(-6, 5)]
    assert cells(doc, "gradient") == [2, 0, 0]


def test_ppo_mistakes_diagnosed_by_the_command():
    base = ["calc", "ppo-clip", "--ratio", "1,1/2", "--advantage", "2,1", "--eps", "1/5"]
    assert diagnoses(*base, "--answer", "objective: [6/5, 1/2]") == [[CLIP_PRODUCT]]
    assert diagnoses(*base, "--answer", "objective: [2, 4/5]") == [[NO_MIN]]
    assert diagnoses(*base, "--answer", "objective: [2, 1]") == []
    # the KL-penalty form has no clip to misread
    assert ppo_mistakes([F(1)], [F(1)], F(1, 5), F(1, 10)) == {}


def test_gae_done_flags_ignored():
    # rewards 1, 1; V = 0, 2, 4; done after step 0; γ = λ = 1.
    # right: δ_0 = 1 + 0 − 0 = 1 (no bootstrap), δ_1 = 1 + 4 − 2 = 3; Â_1 = 3, Â_0 = δ_0 = 1.
    # ignored: δ_0 = 1 + 2 − 0 = 3, Â_0 = 3 + 3 = 6.
    m = gae_mistakes([F(1), F(1)], [F(0), F(2), F(4)], [1, 0], F(1), F(1))
    assert list(m) == ["the done flags ignored"]  # γ = λ = 1: nothing else to forget
    assert cells(m["the done flags ignored"](), "advantages") == [6, 3]
    args = ["calc", "gae", "--rewards", "1,1", "--values", "0,2,4", "--dones", "1,0"]
    assert diagnoses(*args, "--answer", "advantages: [6, 3]") == [["the done flags ignored"]]


def test_gae_mistakes_listed_only_where_they_change_something():
    m = gae_mistakes([F(1)], [F(0), F(1)], [0], F(1, 2), F(1, 2))
    assert set(m) == {"λ left out (λ = 1: return − V)", "γ left out (γ = 1)"}
    # γ left out: δ_0 = 1 + 1·1 − 0 = 2 (right: 1 + (1/2)·1 = 3/2)
    assert cells(m["γ left out (γ = 1)"](), "deltas") == [2]


def test_reinforce_baseline_not_subtracted():
    # π(·|s1) = (1/4, 3/4) from logits 0, ln 3; one step s1 R 2, baseline b(s1) = 1.
    # right: (G − b)(onehot(R) − π) = 1·(−1/4, 1/4); not subtracted: 2·(−1/4, 1/4) = (−1/2, 1/2)
    args = ["calc", "reinforce", "--logits", "s1: L=0, R=ln(3)", "--trajectory", "s1 R 2",
            "--baseline", "s1=1"]  # fmt: skip
    assert diagnoses(*args, "--answer", "gradient: {s1: {L: -1/2, R: 1/2}}") == [
        ["the baseline not subtracted"]
    ]


def test_reinforce_gamma_t_only_when_gamma_is_not_1():
    from rlcli.calc.policy import parse_table
    from rlcli.calc.reinforce import parse_trajectory

    table = parse_table("s1: L=0, R=0", "logits", False)
    traj = [parse_trajectory("s1 L 1 s1 R 1", 1, table)]
    assert reinforce_mistakes(table, traj, F(1), True, None, None) == {}
    m = reinforce_mistakes(table, traj, F(1, 2), False, None, None)
    # γ^t put back: t = 1 term (G_1 = 1) times (1/2): π = (1/2, 1/2), onehot(R) − π =
    # (−1/2, 1/2); t = 0: G_0 = 1 + 1/2 = 3/2 times (1/2, −1/2) = (3/4, −3/4).
    # With γ^t: (3/4 − 1/4, −3/4 + 1/4) = (1/2, −1/2)
    doc = m["γ^t included in each term"]()
    assert cells(doc, "gradient") == {"s1": {"L": F(1, 2), "R": F(-1, 2)}}


def test_grpo_eps_left_out_and_listing():
    # rewards 1, 0, 0, 1: mean 1/2, population std 1/2; ε = 1/2: Â = ±(1/2)/1 = ±1/2;
    # ε left out: ±(1/2)/(1/2) = ±1
    args = ["calc", "grpo", "--rewards", "1,0,0,1", "--eps", "1/2"]
    assert diagnoses(*args, "--answer", "advantages: [1, -1, -1, 1]") == [
        ["ε left out of the denominator"]
    ]
    assert list(grpo_mistakes([F(1), F(0)], "population", F(0), False, False)) == [
        "the sample std instead of the population std"
    ]
    assert grpo_mistakes([F(1), F(0)], "population", F(0), True, False) == {}  # Dr. GRPO


def test_kl_p_and_q_swapped():
    # p = (1/2, 1/2), q = (1/4, 3/4): KL(p‖q) = ½ln 2 + ½ln(2/3) = ½ln(4/3) ≈ 0.14384;
    # KL(q‖p) = ¼ln(1/2) + ¾ln(3/2) ≈ 0.13081. Sample 0: r = (1/4)/(1/2) = 1/2, k1 = ln 2;
    # swapped, r = 2, k1 = −ln 2.
    name = "p and q swapped (KL(q‖p), r = p/q)"
    doc = kl_mistakes([F(1, 2), F(1, 2)], [F(1, 4), F(3, 4)], [0])[name]()
    swapped = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    assert math.isclose(cells(doc, "kl").value, swapped, rel_tol=1e-12)
    assert math.isclose(cells(doc, "k1").value, -math.log(2), rel_tol=1e-12)
    args = ["calc", "kl", "--p", "1/2,1/2", "--q", "1/4,3/4", "--samples", "0"]
    assert diagnoses(*args, "--answer", f"{{kl: {swapped:.4f}, k1: -0.6931}}") == [[name]]
    assert diagnoses(*args, "--answer", "kl: 0.2") == []
    assert kl_mistakes([F(1)], [F(1)], None) == {}


AC = [
    "calc", "actor-critic", "--probs", "s1: L=1/4, R=3/4; s2: L=1/2, R=1/2",
    "--values", "s1=1, s2=2", "--trajectory", "s1 R 1 s2 L 2 s1", "--gamma", "1/2",
]  # fmt: skip


def ac_answer(s1: tuple[str, str], s2: tuple[str, str]) -> str:
    return f"gradient: {{s1: {{L: {s1[0]}, R: {s1[1]}}}, s2: {{L: {s2[0]}, R: {s2[1]}}}}}"


def test_actor_critic_mistakes_hand_worked():
    # π(·|s1) = (1/4, 3/4), π(·|s2) = (1/2, 1/2); ∇log π(R|s1) = (−1/4, 1/4) over (L, R),
    # ∇log π(L|s2) = (1/2, −1/2). V(s1) = 1, V(s2) = 2, γ = 1/2, the trajectory ends in s1
    # (bootstrapped), weight γ^t δ_t (S&B §13.5's I).
    # Right: δ_0 = 1 + ½·2 − 1 = 1, δ_1 = 2 + ½·1 − 2 = ½:
    #   s1: 1·(−1/4, 1/4); s2: ½·½·(1/2, −1/2) = (1/8, −1/8).
    right = run_ok(*AC, "--answer", ac_answer(("-1/4", "1/4"), ("1/8", "-1/8")))
    assert right == 0
    cases = {
        # γ left out of δ: δ_0 = 1 + 2 − 1 = 2, δ_1 = 2 + 1 − 2 = 1:
        #   s1: 2·(−1/4, 1/4) = (−1/2, 1/2); s2: ½·1·(1/2, −1/2) = (1/4, −1/4)
        "γ left out of δ (δ = R + V(S') − V(S))": (("-1/2", "1/2"), ("1/4", "-1/4")),
        # V(S) not subtracted: δ_0 = 1 + 1 = 2, δ_1 = 2 + ½ = 5/2:
        #   s1: (−1/2, 1/2); s2: ½·(5/2)·(1/2, −1/2) = (5/8, −5/8)
        "V(S) not subtracted (δ = R + γV(S'))": (("-1/2", "1/2"), ("5/8", "-5/8")),
        # the final s1 taken as terminal: δ_1 = 2 − 2 = 0: s2: (0, 0)
        "the last state's value not bootstrapped (δ = R − V(S), as if terminal)": (
            ("-1/4", "1/4"),
            ("0", "0"),
        ),
        # γ^t left out: δ as right, s2: 1·½·(1/2, −1/2) = (1/4, −1/4)
        "γ^t left out in each term": (("-1/4", "1/4"), ("1/4", "-1/4")),
    }
    for name, (s1, s2) in cases.items():
        assert diagnoses(*AC, "--answer", ac_answer(s1, s2)) == [[name]], name
    # an unrelated wrong answer is diagnosed as nothing
    assert diagnoses(*AC, "--answer", ac_answer(("1", "1"), ("1", "1"))) == []


def test_actor_critic_mistakes_listed_only_where_they_change_the_numbers():
    from rlcli.calc.policy import parse_table
    from rlcli.calc.reinforce import parse_trajectory

    table = parse_table("s1: L=1/2, R=1/2", "--probs", True)
    ends = parse_trajectory("s1 R 1", 1, table)  # ends with a reward: V(S') = 0
    cut = parse_trajectory("s1 R 1 s1", 1, table)
    # γ = 1, V(s1) = 0: nothing the four mistakes could change
    assert actor_critic_mistakes(table, [cut], F(1), True, {"s1": F(0)}, None) == {}
    # γ = 1/2, one step ending with a reward: V(S') = 0, so γ in δ cannot matter, and the
    # only term has γ^0 = 1, so γ^t cannot either; V(s1) = 3 ≠ 0 can be left out
    names = set(actor_critic_mistakes(table, [ends], F(1, 2), True, {"s1": F(3)}, None))
    assert names == {"V(S) not subtracted (δ = R + γV(S'))"}
    two = parse_trajectory("s1 R 1 s1 L 0", 1, table)
    names = set(actor_critic_mistakes(table, [two], F(1, 2), True, {"s1": F(3)}, None))
    assert "γ^t left out in each term" in names
    names = set(actor_critic_mistakes(table, [cut], F(1, 2), True, {"s1": F(3)}, None))
    assert "γ left out of δ (δ = R + V(S') − V(S))" in names
    assert "the last state's value not bootstrapped (δ = R − V(S), as if terminal)" in names


def run_ok(*args: str) -> int:
    return CliRunner().invoke(app, list(args)).exit_code
