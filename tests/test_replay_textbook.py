"""``rlcli replay`` against hand-worked answers: S&B Example 6.4 (batch TD and MC), first- vs
every-visit MC, TD(0)/SARSA/Q-learning/Expected SARSA on a four-step episode, n-step and
λ-returns, importance sampling. Every expected number is worked out in the comments."""

from __future__ import annotations

import json
from fractions import Fraction as F

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app


def replay(*args: str) -> dict:
    result = CliRunner().invoke(app, ["replay", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def exact(doc: dict, key: str = "exact") -> dict:
    return {k: F(v) for k, v in doc[key].items()}


# S&B Example 6.4: A,0,B,0 once; B,1 six times; B,0 once.
EX_6_4 = "A 0 B 0; B 1; B 1; B 1; B 1; B 1; B 1; B 0"


def test_example_6_4_batch_td_is_certainty_equivalence():
    # model: A → B always with reward 0; B → terminal with mean reward 6/8 = 3/4
    # V(B) = 3/4, V(A) = 0 + 1·V(B) = 3/4
    doc = replay("td", EX_6_4, "--batch")
    assert exact(doc) == {"A": F(3, 4), "B": F(3, 4)}
    assert doc["model"]["B"]["visits"] == 8
    assert doc["model"]["B"]["mean_reward"] == 0.75
    assert doc["model"]["A"]["next"] == {"B": 1}


def test_example_6_4_batch_mc_is_the_mean_return():
    # the only return from A is 0 + 0 = 0; from B: six 1s and two 0s → 6/8
    doc = replay("mc", EX_6_4, "--batch")
    assert exact(doc) == {"A": F(0), "B": F(3, 4)}


def test_first_and_every_visit_mc_differ_on_a_repeated_state():
    # ep1: A 1 A 2 B 3 → G_0 = 6 (A), G_1 = 5 (A), G_2 = 3 (B)
    # ep2: B 1 A 1     → G_0 = 2 (B), G_1 = 1 (A)
    # first-visit: A: (6 + 1)/2 = 7/2, B: (3 + 2)/2 = 5/2
    # every-visit: A: (6 + 5 + 1)/3 = 4, B: 5/2
    eps = "A 1 A 2 B 3; B 1 A 1"
    assert exact(replay("mc", eps, "--visit", "first")) == {"A": F(7, 2), "B": F(5, 2)}
    assert exact(replay("mc", eps, "--visit", "every")) == {"A": F(4), "B": F(5, 2)}


def test_constant_alpha_mc_updates_forward_in_time():
    # ep1 with α = 1/2 every-visit: V(A) = 0 + 1/2(6 − 0) = 3, then V(A) = 3 + 1/2(5 − 3) = 4,
    # V(B) = 1/2·3 = 3/2
    doc = replay("mc", "A 1 A 2 B 3", "--alpha", "1/2")
    assert exact(doc) == {"A": F(4), "B": F(3, 2)}
    assert [s["new"] for s in doc["steps"]] == [3, 4, 1.5]


FOUR = "A right 2 B left 0 A left 1 B right 4"  # then terminal (trailing reward)


def test_td0_on_a_four_step_episode():
    # α = 1/2, γ = 1, V0 = 0
    # t0 V(A) = 0 + 1/2[2 + 0 − 0] = 1
    # t1 V(B) = 0 + 1/2[0 + V(A)=1 − 0] = 1/2
    # t2 V(A) = 1 + 1/2[1 + V(B)=1/2 − 1] = 5/4
    # t3 V(B) = 1/2 + 1/2[4 + 0 − 1/2] = 9/4
    doc = replay("td", "A 2 B 0 A 1 B 4", "--alpha", "1/2")
    assert [F(s["exact"]["new"]) for s in doc["steps"]] == [F(1), F(1, 2), F(5, 4), F(9, 4)]
    assert exact(doc) == {"A": F(5, 4), "B": F(9, 4)}


def test_sarsa_on_a_four_step_episode():
    # t0 Q(A,right) = 1/2[2 + Q(B,left)=0] = 1
    # t1 Q(B,left)  = 1/2[0 + Q(A,left)=0] = 0
    # t2 Q(A,left)  = 1/2[1 + Q(B,right)=0] = 1/2
    # t3 Q(B,right) = 1/2[4 + 0] = 2
    doc = replay("sarsa", FOUR, "--alpha", "1/2")
    q = doc["q_exact"]
    assert q == {"A": {"right": "1", "left": "1/2"}, "B": {"left": "0", "right": "2"}}


def test_q_learning_on_the_same_episode():
    # t0 Q(A,right) = 1/2[2 + max(0, 0)] = 1
    # t1 Q(B,left)  = 1/2[0 + max(Q(A,right)=1, Q(A,left)=0)] = 1/2
    # t2 Q(A,left)  = 1/2[1 + max(Q(B,left)=1/2, Q(B,right)=0)] = 3/4
    # t3 Q(B,right) = 1/2·4 = 2
    doc = replay("q-learning", FOUR, "--alpha", "1/2")
    assert doc["q_exact"] == {
        "A": {"right": "1", "left": "3/4"},
        "B": {"left": "1/2", "right": "2"},
    }


def test_expected_sarsa_epsilon_greedy_on_the_same_episode():
    # ε = 1/2, two actions: greedy gets 1/4 + 1/2 = 3/4, the other 1/4; ties 1/2 each
    # t0 Q(A,right) = 1/2[2 + (1/2·0 + 1/2·0)] = 1
    # t1 Q(B,left)  = 1/2[0 + 3/4·Q(A,right)=1 + 1/4·0] = 3/8
    # t2 Q(A,left)  = 1/2[1 + 3/4·Q(B,left)=3/8 + 1/4·0] = 1/2·41/32 = 41/64
    # t3 Q(B,right) = 2
    doc = replay("expected-sarsa", FOUR, "--alpha", "1/2", "--epsilon", "1/2")
    assert doc["q_exact"] == {
        "A": {"right": "1", "left": "41/64"},
        "B": {"left": "3/8", "right": "2"},
    }
    # ε = 0 is Q-learning
    greedy = replay("expected-sarsa", FOUR, "--alpha", "1/2", "--epsilon", "0")
    assert greedy["q_exact"] == replay("q-learning", FOUR, "--alpha", "1/2")["q_exact"]


def test_double_q_with_given_coins():
    # coins 1,2,1,1: t0 Q1(A,right) = 1/2[2 + Q2(B, argmax Q1(B,·)=left)=0] = 1
    # t1 Q2(B,left) = 1/2[0 + Q1(A, argmax Q2(A,·)=right (tie, first))=1] = 1/2
    # t2 Q1(A,left) = 1/2[1 + Q2(B, argmax Q1(B,·)=left (tie))=1/2] = 3/4
    # t3 Q1(B,right) = 1/2·4 = 2
    doc = replay("double-q", FOUR, "--alpha", "1/2", "--coins", "1,2,1,1")
    assert doc["q_exact"] == {"A": {"right": "1", "left": "3/4"}, "B": {"left": "0", "right": "2"}}
    assert doc["q2"] == {"A": {"right": 0, "left": 0}, "B": {"left": 0.5, "right": 0}}


def test_returns_nstep_and_lambda_return():
    # episode A 1 B 2 C 3 (then terminal), γ = 1/2, V(B) = 2, V(C) = 4
    # G_0 = 1 + 1/2·2 + 1/4·3 = 11/4; G_1 = 2 + 1/2·3 = 7/2; G_2 = 3
    # G_0:1 = 1 + 1/2·V(B) = 2; G_0:2 = 1 + 1/2·2 + 1/4·V(C) = 3; G_0:3 = G_0 = 11/4
    # G^λ_2 = 3; G^λ_1 = 2 + 1/2[1/2·4 + 1/2·3] = 15/4; G^λ_0 = 1 + 1/2[1/2·2 + 1/2·15/4] = 39/16
    # (= (1−λ)(G_0:1 + λG_0:2) + λ²G_0 = 1/2(2 + 3/2) + 11/16 = 39/16)
    doc = replay(
        "returns", "A 1 B 2 C 3", "--gamma", "1/2", "--init", "B=2, C=4", "--lambda", "1/2"
    )
    ex = doc["exact"]
    assert ex["returns"] == ["11/4", "7/2", "3"]
    assert ex["nstep"] == {"1": "2", "2": "3", "3": "11/4"}
    assert ex["lambda_return"] == "39/16"
    assert doc["lambda_return"] == pytest.approx(39 / 16)
    # G_t:t+2 with --n 2: G_0:2 = 3 (above); G_1:3 = 2 + 1/2·3 = 7/2 (terminal after C); G_2:4 = 3
    doc = replay("returns", "A 1 B 2 C 3", "--gamma", "1/2", "--init", "B=2, C=4", "--n", "2")
    assert doc["exact"]["nstep_t"] == ["3", "7/2", "3"]
    # a cut episode bootstraps: A 1 B 2 C with V(C) = 4: G_1 = 2 + 1/2·4 = 4, G_0 = 1 + 1/2·4 = 3
    doc = replay("returns", "A 1 B 2 C", "--gamma", "1/2", "--init", "B=2, C=4")
    assert doc["exact"]["returns"] == ["3", "4"]


def test_nstep_td_uses_current_values():
    # n = 2, α = 1/2, γ = 1, V0 = 0, episode A 1 B 2 C 3
    # τ0: G_0:2 = 1 + 2 + V(C)=0 = 3 → V(A) = 3/2
    # τ1: G_1:3 = 2 + 3 = 5 → V(B) = 5/2;  τ2: G_2:3 = 3 → V(C) = 3/2
    doc = replay("nstep", "A 1 B 2 C 3", "--n", "2", "--alpha", "1/2")
    assert exact(doc) == {"A": F(3, 2), "B": F(5, 2), "C": F(3, 2)}


def test_td_lambda_offline_and_accumulating():
    # λ = 1/2, α = 1/2, γ = 1, V0 = 0, episode A 1 B 2 (then terminal)
    # offline: G^λ_1 = 2, G^λ_0 = 1 + [1/2·0 + 1/2·2] = 2 → V(A) = 1, V(B) = 1
    doc = replay("td-lambda", "A 1 B 2", "--lambda", "1/2", "--alpha", "1/2")
    assert exact(doc) == {"A": F(1), "B": F(1)}
    # accumulating: t0 δ = 1, e(A) = 1 → V(A) = 1/2
    # t1 δ = 2 − 0 = 2, e(A) = 1/2, e(B) = 1 → V(A) = 1/2 + 1/2·2·1/2 = 1, V(B) = 1
    doc = replay(
        "td-lambda", "A 1 B 2", "--lambda", "1/2", "--alpha", "1/2", "--variant", "accumulating"
    )
    assert exact(doc) == {"A": F(1), "B": F(1)}
    # replacing differs only on revisits: A 1 A 0 (λ = 1, α = 1/2)
    # t0 δ = 1 → V(A) = 1/2; t1 δ = 0 − 1/2 = −1/2; accumulating e(A) = 2 → V(A) = 1/2 − 1/2 = 0
    # replacing e(A) = 1 → V(A) = 1/2 − 1/4 = 1/4
    acc = replay(
        "td-lambda", "A 1 A 0", "--lambda", "1", "--alpha", "1/2", "--variant", "accumulating"
    )
    rep = replay(
        "td-lambda", "A 1 A 0", "--lambda", "1", "--alpha", "1/2", "--variant", "replacing"
    )
    assert exact(acc) == {"A": F(0)} and exact(rep) == {"A": F(1, 4)}


def test_importance_sampling_from_episodes():
    # target π(right|A) = 1; behaviour 1/2 each, γ = 1
    # ep1 A right 3: ρ = 2, G = 3; ep2 A left 1: ρ = 0, G = 1; ep3 A right 0 A right 2: ρ = 4, G = 2
    # first-visit: ordinary (6 + 0 + 8)/3 = 14/3, weighted 14/(2 + 0 + 4) = 7/3
    # every-visit adds ep3 t=1 (ρ = 2, G = 2): ordinary 18/4 = 9/2, weighted 18/8 = 9/4
    eps = "A right 3; A left 1; A right 0 A right 2"
    pol = ["--target", "A=right", "--behaviour", "A=left:1/2|right:1/2"]
    first = replay("importance-sampling", eps, *pol, "--visit", "first")
    at_a = first["exact"]["states"]["A"]
    assert (F(at_a["ordinary"]), F(at_a["weighted"])) == (
        F(14, 3),
        F(7, 3),
    )
    every = replay("importance-sampling", eps, *pol)
    at_a = every["exact"]["states"]["A"]
    assert (F(at_a["ordinary"]), F(at_a["weighted"])) == (
        F(9, 2),
        F(9, 4),
    )
    # the top-level estimates are the first state's, exact too (graded by --answer)
    assert (every["exact"]["ordinary"], every["exact"]["weighted"]) == ("9/2", "9/4")


def test_importance_sampling_from_given_returns_and_ratios():
    # (2·3 + 0·1 + 4·2)/3 = 14/3; 14/6 = 7/3
    doc = replay("importance-sampling", "--returns", "3,1,2", "--ratios", "2,0,4")
    assert doc["exact"] == {"ordinary": "14/3", "weighted": "7/3"}


def test_unvisited_state_is_flagged(tmp_path):
    # the episode stops in the non-terminal B: B is a bootstrap target but never updated
    path = tmp_path / "exp.yaml"
    path.write_text("gamma: 1\nalpha: 1/2\ninit: {A: 1/2, B: 1}\nepisodes:\n  - A 1 B\n")
    doc = replay("td", str(path))
    assert doc["exact"] == {"A": "5/4", "B": "1"}  # V(A) = 1/2 + 1/2[1 + V(B)=1 − 1/2]
    result = CliRunner().invoke(app, ["replay", "td", str(path)])
    assert "not visited: still V₀ = 1" in result.stdout
    # a declared terminal state is never listed
    doc = replay("td", "A 1 B 0 C", "--alpha", "1", "--terminal", "C")
    assert set(doc["values"]) == {"A", "B"}


def test_mdp_file_supplies_names_and_gamma():
    # student-mdp has γ = 1; the experience is checked against it
    given = ["--mdp", "problems/student-mdp.yaml", "--episodes", "Class1 -2 Class2"]
    result = CliRunner().invoke(app, ["replay", "td", *given, "--alpha", "1/2", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["exact"]["Class1"] == "-1"  # 0 + 1/2[−2 + V(Class2)=0 − 0]
    assert "Facebook" in doc["values"]  # every state of the MDP is listed


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_formats_show_the_working(fmt):
    result = CliRunner().invoke(
        app, ["replay", "q-learning", FOUR, "--alpha", "1/2", "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    assert ("\\tfrac{3}{4}" if fmt == "latex" else "3/4") in result.stdout


def test_expected_sarsa_with_a_policy_table_on_yaml_transitions(tmp_path):
    # Q0(A,left) = 1 declares an action the transitions never take; π(·|A) = 1/2 each
    # transition 1 (B right 2 A): Q(B,right) = 0 + 1/2[2 + 9/10·(1/2·1 + 1/2·0) − 0] = 1/2·49/20
    #   = 49/40
    # transition 2 (A right 1, then terminal): Q(A,right) = 1/2[1 + 0] = 1/2
    path = tmp_path / "exp.yaml"
    path.write_text(
        "gamma: 9/10\nalpha: 1/2\ninit: {A: {left: 1}}\n"
        "transitions:\n  - B right 2 A\n  - A right 1\n"
        "policy: {A: {left: 1/2, right: 1/2}, B: right}\n"
    )
    doc = replay("expected-sarsa", str(path))
    assert doc["q_exact"] == {"B": {"right": "49/40"}, "A": {"right": "1/2", "left": "1"}}


def test_batch_td_float_path_beyond_the_exact_size_agrees(monkeypatch):
    from rlcli.replay import batch
    from rlcli.replay.experience import from_text
    from rlcli.replay.run import Options
    from rlcli.replay.run import replay as run

    exp = from_text("A 0 B 0; B 1; B 1; B 1; B 1; B 1; B 1; B 0", None, set())
    monkeypatch.setattr(batch, "EXACT_STATES", 1)
    worked = run("td", exp, Options(batch=True))
    assert worked.json["values"] == pytest.approx({"A": 0.75, "B": 0.75})
    assert any("floating point" in n for n in worked.notes)
