"""``rlcli mdp import``: a Gymnasium env's P as an MDP file, checked against P itself.

Every test reads Gymnasium's ``env.unwrapped.P`` directly and compares it with the
imported file as our loader reads it: outcome by outcome (duplicates summed here, in the
test), and V* from our solver against value iteration written here on P.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.gym.importer import import_env
from rlcli.mdp.read.load import load_mdp, loads_mdp
from rlcli.mdp.solve.optimal import policy_iteration

gym = pytest.importorskip("gymnasium")

CASES = [
    ("FrozenLake-v1", {}),
    ("FrozenLake-v1", {"map_name": "8x8"}),
    ("FrozenLake-v1", {"is_slippery": False}),
    ("FrozenLake-v1", {"desc": ["SFFH", "FHFF", "FFFG"], "success_rate": 0.8}),
    ("FrozenLake-v1", {"reward_schedule": [1, -1, 0]}),
    ("CliffWalking-v1", {}),
    ("CliffWalkingSlippery-v1", {}),
    ("Taxi-v4", {}),
    ("Taxi-v4", {"is_rainy": True}),
]
GAMMA = Fraction(9, 10)


def gym_index(env, name: str) -> int:
    """The Gymnasium state index of an imported state name (r{row}c{col}[_p.._d..])."""
    u = env.unwrapped
    cell, *taxi = name.split("_")
    row, col = (int(x) for x in cell[1:].split("c"))
    if taxi:
        places = ["R", "G", "Y", "B", "Taxi"]
        return int(u.encode(row, col, places.index(taxi[0][1:]), places.index(taxi[1][1:])))
    ncol = u.ncol if hasattr(u, "ncol") else u.shape[1]
    return row * ncol + col


def summed(outcomes) -> dict[tuple[int, float], float]:
    """P[s][a] with duplicate (next, reward) entries summed and zero-probability ones dropped."""
    total: dict[tuple[int, float], float] = defaultdict(float)
    for p, nxt, r, _ in outcomes:
        if p > 0:
            total[(int(nxt), float(r))] += p
    return dict(total)


def reachable(P, start: list[int]) -> set[int]:
    """States an episode can visit: follow outcomes with p > 0, stop at terminating ones."""
    seen, frontier = set(start), list(start)
    while frontier:
        s = frontier.pop()
        for outs in P[s].values():
            for p, nxt, _, done in outs:
                if p > 0 and not done and nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
    return seen


@pytest.mark.parametrize(("env_id", "kwargs"), CASES)
def test_imported_file_has_exactly_the_outcomes_of_P(env_id, kwargs) -> None:
    env = gym.make(env_id, **kwargs)
    P = env.unwrapped.P
    mdp = loads_mdp(import_env(env_id, kwargs, GAMMA).text)
    _, probs, rewards = mdp.exact.rational()
    index = {s: gym_index(env, s) for s in mdp.states}
    assert len(set(index.values())) == mdp.n_states
    # every state left out is one no episode visits
    start = [int(s) for s in np.flatnonzero(env.unwrapped.initial_state_distrib)]
    assert reachable(P, start) <= set(index.values())
    # terminal states are exactly those entered by a terminating outcome
    entered_terminating = {
        int(n) for acts in P.values() for outs in acts.values() for p, n, _, d in outs if d and p
    }
    assert {
        index[s] for s, t in zip(mdp.states, mdp.terminal, strict=True) if t
    } == entered_terminating
    actions = {
        "FrozenLake-v1": ["left", "down", "right", "up"],
        "Taxi-v4": ["south", "north", "east", "west", "pickup", "dropoff"],
    }.get(env_id, ["up", "right", "down", "left"])
    for s, name in enumerate(mdp.states):
        if mdp.terminal[s]:
            continue
        assert mdp.actions_of(s) == actions
        for k in mdp.pairs_of(s):
            a = actions.index(mdp.actions[mdp.pair_action[k]])
            ours = {
                (index[mdp.states[mdp.out_next[z]]], float(rewards[z])): probs[z]
                for z in mdp.outcomes(k)
            }
            theirs = summed(P[index[name]][a])
            assert ours.keys() == theirs.keys(), (name, a)
            for key, p in theirs.items():
                assert abs(float(ours[key]) - p) < 1e-12
            assert sum(ours.values()) == 1  # exactly, in fractions


def test_slippery_probabilities_are_thirds_and_corner_duplicates_are_summed() -> None:
    # FrozenLake 4x4, state 0 (top-left corner), action left: P lists left (stay), down,
    # up (stay): two entries for the same next state, 1/3 + 1/3 = 2/3 to stay.
    P = gym.make("FrozenLake-v1").unwrapped.P
    assert [n for _, n, _, _ in P[0][0]] == [0, 0, 4]
    mdp = loads_mdp(import_env("FrozenLake-v1", {}, GAMMA).text)
    _, probs, _ = mdp.exact.rational()
    k = mdp.pair("r0c0", "left")
    got = {mdp.states[mdp.out_next[z]]: probs[z] for z in mdp.outcomes(k)}
    assert got == {"r0c0": Fraction(2, 3), "r1c0": Fraction(1, 3)}
    text = import_env("FrozenLake-v1", {}, GAMMA).text
    assert "0.333" not in text.split("name:")[1]  # fractions, not decimals, in the model


def value_iteration_on_P(P, gamma: float, sweeps: int = 5000) -> np.ndarray:
    """V(s) = max_a Σ p (r + γ V(s') [not terminated]), iterated to a fixed point on P."""
    n = len(P)
    v = np.zeros(n)
    for _ in range(sweeps):
        new = np.array(
            [
                max(
                    sum(p * (r + (0 if d else gamma * v[nx])) for p, nx, r, d in P[s][a])
                    for a in P[s]
                )
                for s in range(n)
            ]
        )
        if np.max(np.abs(new - v)) < 1e-13:
            return new
        v = new
    raise AssertionError("value iteration on P did not converge")


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("FrozenLake-v1", {}),
        ("FrozenLake-v1", {"map_name": "8x8"}),
        ("CliffWalkingSlippery-v1", {}),
    ],
)
def test_v_star_of_the_file_equals_value_iteration_on_P(env_id, kwargs) -> None:
    env = gym.make(env_id, **kwargs)
    P = env.unwrapped.P
    mdp = loads_mdp(import_env(env_id, kwargs, GAMMA).text)
    ours = policy_iteration(mdp).values
    theirs = value_iteration_on_P(P, float(GAMMA))
    for s, name in enumerate(mdp.states):
        if not mdp.terminal[s]:  # P's terminal-state entries are never used by step()
            assert abs(ours[s] - theirs[gym_index(env, name)]) < 1e-9, name


def test_taxi_v_star_equals_value_iteration_on_P() -> None:
    env = gym.make("Taxi-v4")
    P = env.unwrapped.P
    mdp = loads_mdp(import_env("Taxi-v4", {}, GAMMA).text)
    ours = policy_iteration(mdp).values
    # vectorised value iteration on P (Taxi is deterministic: one entry per P[s][a])
    nxt = np.array([[P[s][a][0][1] for a in range(6)] for s in range(500)])
    rew = np.array([[P[s][a][0][2] for a in range(6)] for s in range(500)], dtype=float)
    done = np.array([[P[s][a][0][3] for a in range(6)] for s in range(500)])
    v = np.zeros(500)
    for _ in range(2000):
        v = np.max(rew + float(GAMMA) * np.where(done, 0.0, v[nxt]), axis=1)
    for s, name in enumerate(mdp.states):
        if not mdp.terminal[s]:
            assert abs(ours[s] - v[gym_index(env, name)]) < 1e-9, name


def test_frozenlake_4x4_v_star_by_linear_programming() -> None:
    # An independent method: V* is the smallest V with V(s) >= Σ p (r + γ V(s')) for every
    # (s, a) (LP, dual of the Bellman optimality equations), solved by scipy on P directly.
    from scipy.optimize import linprog

    P = gym.make("FrozenLake-v1").unwrapped.P
    gamma = 0.99
    rows, rhs = [], []
    for s in range(16):
        for a in range(4):
            row = np.zeros(16)
            row[s] -= 1
            r_sa = 0.0
            for p, nx, r, d in P[s][a]:
                r_sa += p * r
                if not d:
                    row[nx] += gamma * p
            rows.append(row)
            rhs.append(-r_sa)
    lp = linprog(np.ones(16), A_ub=np.array(rows), b_ub=np.array(rhs), bounds=[(None, None)] * 16)
    assert lp.success
    mdp = loads_mdp(import_env("FrozenLake-v1", {}, Fraction(99, 100)).text)
    v = policy_iteration(mdp).values
    for s, name in enumerate(mdp.states):
        if not mdp.terminal[s]:
            assert abs(v[s] - lp.x[gym_index(gym.make("FrozenLake-v1"), name)]) < 1e-7


def test_the_bundled_frozenlake_file_is_the_imported_model() -> None:
    # problems/frozenlake-4x4.yaml was written by hand; the import must give the same V*
    bundled = load_mdp(Path(__file__).resolve().parent.parent / "problems" / "frozenlake-4x4.yaml")
    imported = loads_mdp(import_env("FrozenLake-v1", {}, Fraction(99, 100)).text)
    assert bundled.states == imported.states
    assert np.allclose(policy_iteration(bundled).values, policy_iteration(imported).values)


def test_grid_envs_keep_their_map_and_taxi_is_explicit() -> None:
    lake = loads_mdp(import_env("FrozenLake-v1", {"map_name": "8x8"}, GAMMA).text)
    assert lake.layout is not None and lake.layout.shape == (8, 8)
    assert lake.layout.labels[(7, 7)] == "G"
    cliff = loads_mdp(import_env("CliffWalking-v1", {}, GAMMA).text)
    assert cliff.layout is not None and cliff.layout.shape == (4, 12)
    assert cliff.n_states == 48 - 10  # the ten cliff cells are no states: entering one resets
    taxi = import_env("Taxi-v4", {}, GAMMA)
    assert taxi.form == "explicit"
    # 500 states in P; the 96 with the passenger already at the destination, away from the
    # drop-off, are left out (unreachable, and their P enters a terminal state directly)
    assert taxi.states == 404
    assert "96 states of P are left out" in taxi.text


def test_comments_record_env_kwargs_version_and_time_limit() -> None:
    text = import_env("FrozenLake-v1", {"map_name": "8x8"}, GAMMA).text
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "--kwargs 'map_name=8x8'" in comments
    assert f"Gymnasium {gym.__version__}" in comments
    assert "after 100 steps" in comments  # FrozenLake-v1's TimeLimit (FrozenLake8x8-v1: 200)
    assert "is_slippery=true" in comments


# ---- the command --------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(app, ["mdp", "import", *args])


def test_cli_writes_the_file_and_reports_json(tmp_path: Path) -> None:
    out = tmp_path / "taxi.yaml"
    result = run("Taxi-v4", "-o", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == {
        "states": 404, "actions": 6, "outcomes": 400 * 6, "path": str(out),
        "form": "explicit",
    }  # fmt: skip
    assert load_mdp(out).n_outcomes == 2400  # deterministic: one outcome per pair


def test_cli_writes_to_stdout_and_never_overwrites_without_force(tmp_path: Path) -> None:
    result = run("FrozenLake-v1", "--kwargs", "is_slippery=false")
    assert result.exit_code == 0
    assert loads_mdp(result.stdout).n_outcomes == 44  # 11 non-terminal cells x 4 moves
    out = tmp_path / "lake.yaml"
    out.write_text("mine\n")
    result = run("FrozenLake-v1", "-o", str(out))
    assert result.exit_code == 2 and "--force" in result.output
    assert out.read_text() == "mine\n"
    assert run("FrozenLake-v1", "-o", str(out), "--force").exit_code == 0
    assert load_mdp(out).n_states == 16


def test_cli_solve_draws_the_imported_map(tmp_path: Path) -> None:
    out = tmp_path / "cliff.yaml"
    assert run("CliffWalking-v1", "-o", str(out), "--gamma", "1").exit_code == 0
    result = CliRunner().invoke(app, ["mdp", "solve", str(out), "--no-q", "--json"])
    assert result.exit_code == 0
    values = json.loads(result.stdout)["values"]
    assert values["r3c0"] == pytest.approx(-13)  # S&B Example 6.6: 13 steps along the cliff


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Blackjack-v1"], "no transition model"),
        (["CartPole-v1"], "no transition model"),
        (["FrozenLak-v1"], "did you mean 'FrozenLake-v1'"),
        (["FrozenLake-v1", "--kwargs", "slippery=true"], "kwargs.slippery"),
        (["FrozenLake-v1", "--kwargs", "is_slippery=maybe"], "kwargs.is_slippery: expected true"),
        (["FrozenLake-v1", "--kwargs", "success_rate=high"], "kwargs.success_rate"),
        (["FrozenLake-v1", "--kwargs", "map_name=9x9"], "map_name='9x9'"),
        (["FrozenLake-v1", "--kwargs", "is_slippery"], "kwargs item 1: expected name=value"),
        (["Taxi-v4", "--kwargs", "fickle_passenger=true"], "kwargs.fickle_passenger"),
        (["FrozenLake-v1", "--gamma", "2"], "--gamma"),
        (["FrozenLake-v1", "--json"], "-o"),
        (["FrozenLake-v1", "-o", "no/such/dir/lake.yaml"], "does not exist"),
    ],
)
def test_bad_input_exits_2_with_a_message(args, message) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_blackjack_refusal_points_to_the_bundled_problem() -> None:
    result = run("Blackjack-v1")
    assert "problems show blackjack" in result.output


def test_kwargs_text_is_read_as_yaml_values_with_bracketed_lists() -> None:
    from rlcli.gym.kwargs import parse_kwargs

    got = parse_kwargs("desc=[SFF, FHF, FFG], is_slippery=false,success_rate=0.8,map_name=8x8")
    assert got == {
        "desc": ["SFF", "FHF", "FFG"], "is_slippery": False, "success_rate": 0.8,
        "map_name": "8x8",
    }  # fmt: skip


def test_kwargs_values_follow_yaml_1_2_core_not_yaml_1_1() -> None:
    from rlcli.gym.kwargs import parse_kwargs

    got = parse_kwargs("a=yes,b=on,c=n,d=True,e=010,f=0x1F,g=1:30,h=2024-01-01,i=.5,j=~,k=-3")
    assert got == {
        "a": "yes", "b": "on", "c": "n", "d": True, "e": 10, "f": 31, "g": "1:30",
        "h": "2024-01-01", "i": 0.5, "j": None, "k": -3,
    }  # fmt: skip
    result = run("FrozenLake-v1", "--kwargs", "is_slippery=no")
    assert result.exit_code == 2 and "kwargs.is_slippery: expected true or false" in result.output


def test_help_does_not_import_gymnasium() -> None:
    code = (
        "import sys\nfrom rlcli.cli.app import app\n"
        "sys.argv = ['rlcli', 'mdp', 'import', '--help']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\nprint('GYM', 'gymnasium' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split()[-2:] == ["GYM", "False"]


def test_missing_gymnasium_gives_an_install_hint(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # import gymnasium -> ImportError
    result = run("FrozenLake-v1")
    assert result.exit_code == 2
    assert "pip install 'rlcli[gym]'" in result.output
    assert "Traceback" not in result.output


def test_a_decimal_kwarg_stays_that_decimal_not_a_nearby_fraction() -> None:
    # success_rate=0.1234567: the intended move has p = 1234567/10^7 and each side
    # (1 - 0.1234567)/2 = 8765433/(2·10^7). The importer used to accept any fraction with
    # denominator ≤ 10^6 within 1e-12, writing 118383/958903 (10⁻¹³ off) instead.
    kwargs = {"success_rate": 0.1234567}
    mdp = loads_mdp(import_env("FrozenLake-v1", kwargs, GAMMA).text)
    _, probs, _ = mdp.exact.rational()
    k = mdp.pair("r0c1", "down")  # down to r1c1, slips to r0c0 and r0c2: three outcomes
    got = sorted(probs[z] for z in mdp.outcomes(k))
    assert got == [Fraction(1234567, 10**7)] + [Fraction(8765433, 2 * 10**7)] * 2
    # and each is exactly Gymnasium's float
    P = gym.make("FrozenLake-v1", **kwargs).unwrapped.P
    assert sorted({p for p, *_ in P[1][1]}) == sorted({float(p) for p in got})


def test_a_negative_probability_in_P_is_named() -> None:
    # success_rate=-0.2 makes P[0][0] = [(-0.2, ...), (0.6, ...), (0.6, ...)]: the
    # negative entry used to be skipped silently and the error said "sum to 1.2"
    from rlcli.errors import UsageError

    with pytest.raises(UsageError, match=r"P\[0\]\[0\] holds the probability -0\.2"):
        import_env("FrozenLake-v1", {"success_rate": -0.2}, GAMMA)


def test_a_line_break_in_a_kwarg_stays_inside_the_header_comment() -> None:
    # map_name is ignored when desc is given, so any text is accepted; its line break
    # used to end the "# Imported ... by:" comment and put "gamma: 0" into the YAML
    kwargs = {"desc": ["SF", "HG"], "map_name": "4x4\ngamma: 0"}
    text = import_env("FrozenLake-v1", kwargs, GAMMA).text
    head = text.split("\nname:")[0].splitlines()
    assert head and all(line.startswith("#") for line in head)
    assert loads_mdp(text).gamma == 0.9


def test_importing_our_own_registered_env_points_to_the_file() -> None:
    # rlcli/Gridworld-v0 was reported as an unknown Gymnasium id (the registering module
    # is not imported by the importer), though the user may just have used it
    from rlcli.errors import UsageError

    with pytest.raises(UsageError, match="rlcli problems copy") as info:
        import_env("rlcli/Gridworld-v0", {}, GAMMA)
    assert "unknown" not in str(info.value)


def test_cli_output_dash_is_standard_output(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    to_stdout = run("CliffWalking-v1", "-o", "-")
    assert to_stdout.exit_code == 0, to_stdout.output
    assert to_stdout.stdout == run("CliffWalking-v1").stdout
    assert "grid:" in to_stdout.stdout and list(tmp_path.iterdir()) == []
