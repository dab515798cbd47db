"""The bundled Blackjack MDP (rlcli/gym/blackjack.py -> problems/blackjack.yaml), checked
against an independent derivation written here, Sutton & Barto's Figure 5.2, and
Gymnasium's ``Blackjack-v1`` itself by simulation."""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from rlcli.gym.blackjack import blackjack_yaml, dealer_given_showing, start_distribution
from rlcli.mdp.read.load import load_mdp, loads_mdp
from rlcli.mdp.solve.evaluate import evaluate_policy
from rlcli.mdp.solve.optimal import policy_iteration

FILE = Path(__file__).resolve().parent.parent / "problems" / "blackjack.yaml"
DECK = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10)  # Gymnasium's deck, drawn uniformly


# ---- an independent derivation: hands as card tuples, Gymnasium's own scoring ---------------


def sum_hand(hand: tuple[int, ...]) -> int:
    return sum(hand) + 10 if 1 in hand and sum(hand) + 10 <= 21 else sum(hand)


def score(hand: tuple[int, ...]) -> int:
    return 0 if sum_hand(hand) > 21 else sum_hand(hand)


@cache
def dealer_scores(hand: tuple[int, ...]) -> dict[int, Fraction]:
    """The dealer draws from ``hand`` (sorted) while below 17; P(final score)."""
    if sum_hand(hand) >= 17:
        return {score(hand): Fraction(1)}
    out: dict[int, Fraction] = {}
    for c in DECK:
        for s, p in dealer_scores(tuple(sorted((*hand, c)))).items():
            out[s] = out.get(s, Fraction(0)) + p / 13
    return out


def stick_value(player: tuple[int, ...], first: int, sab: bool) -> Fraction:
    """E[reward] of sticking with ``player``: it matters only through its score and whether
    it is a natural."""
    return _stick(score(player), len(player) == 2 and sum_hand(player) == 21, first, sab)


@cache
def _stick(mine: int, natural_p: bool, first: int, sab: bool) -> Fraction:
    """Average over the hidden card, then the dealer's draws; cmp(mine, dealer score)."""
    total = Fraction(0)
    for hidden in DECK:
        dealer = tuple(sorted((first, hidden)))
        natural_d = sum_hand(dealer) == 21
        if sab and natural_p and not natural_d:
            total += Fraction(1, 13)
            continue
        for s, p in dealer_scores(dealer).items():
            total += p / 13 * ((mine > s) - (mine < s))
    return total


@cache
def best(player: tuple[int, ...], first: int, sab: bool) -> tuple[float, float]:
    """(value of stick, value of hit) with optimal play afterwards; any sum may stick.
    (Floats: exact fractions here would have denominators up to 13^21.)"""
    hit = 0.0
    for c in DECK:
        hand = tuple(sorted((*player, c)))
        hit += (-1.0 if sum_hand(hand) > 21 else max(best(hand, first, sab))) / 13
    return float(stick_value(player, first, sab)), hit


def v_star_start(sab: bool) -> float:
    """v*(start): average over the dealer's face-up card and the player's two cards."""
    return (
        sum(max(best(tuple(sorted((a, b))), d, sab)) for d in DECK for a in DECK for b in DECK)
        / 13**3
    )


def hand_of(name: str) -> tuple[int, ...]:
    """A hand in the state ``p{sum}_d{card}[_ace]`` or ``natural_d{card}``."""
    if name.startswith("natural"):
        return (1, 10)
    total = int(name.split("_")[0][1:])
    if name.endswith("_ace"):
        return (1, 5, 5) if total == 21 else (1, total - 11)
    return (10, 10, 1) if total == 21 else (10, total - 10)


# ---- S&B Figure 5.2: pi* as printed (rows: player sum, columns: dealer A, 2, ..., 10) ------

FIG_5_2_NO_USABLE_ACE = {  # S = stick, H = hit
    21: "SSSSSSSSSS", 20: "SSSSSSSSSS", 19: "SSSSSSSSSS", 18: "SSSSSSSSSS",
    17: "SSSSSSSSSS", 16: "HSSSSSHHHH", 15: "HSSSSSHHHH", 14: "HSSSSSHHHH",
    13: "HSSSSSHHHH", 12: "HHHSSSHHHH",
}  # fmt: skip
FIG_5_2_USABLE_ACE = {
    21: "SSSSSSSSSS", 20: "SSSSSSSSSS", 19: "SSSSSSSSSS", 18: "HSSSSSSSHH",
    **{s: "HHHHHHHHHH" for s in range(12, 18)},
}  # fmt: skip


@pytest.fixture(scope="module")
def mdp():
    return load_mdp(FILE)


def test_the_bundled_file_is_what_the_code_generates() -> None:
    assert FILE.read_text() == blackjack_yaml()


def test_sizes_and_exact_probabilities(mdp) -> None:
    # 10 sums x 10 dealer cards x usable ace or not, plus 10 natural states, plus win/draw/lose
    assert mdp.n_states == 200 + 10 + 3
    _, probs, _ = mdp.exact.rational()
    # hitting hard 12 against a 10: bust on a 10-valued card, 4/13
    k = mdp.pair("p12_d10", "hit")
    bust = [probs[z] for z in mdp.outcomes(k) if mdp.states[mdp.out_next[z]] == "lose"]
    assert bust == [Fraction(4, 13)]
    assert sum(start_distribution().values()) == 1


def test_dealer_distribution_against_enumeration_here() -> None:
    for first in range(1, 11):
        natural, scores = dealer_given_showing(first)
        here: dict[int, Fraction] = {}
        for hidden in DECK:
            for s, p in dealer_scores(tuple(sorted((first, hidden)))).items():
                here[s] = here.get(s, Fraction(0)) + p / 13
        assert scores == here
        assert natural == sum(
            (Fraction(1, 13) for h in DECK if sum_hand((first, h)) == 21), Fraction(0)
        )
    # hand-worked: showing 10, the hidden card is an ace (natural, stop) with 1/13; showing a
    # 9, the dealer ends on exactly 19 at least when the hidden card is a 10 (4/13)
    assert dealer_given_showing(10)[0] == Fraction(1, 13)
    assert dealer_given_showing(9)[1][19] > Fraction(4, 13)


def test_policy_iteration_gives_figure_5_2_and_the_independent_v_star(mdp) -> None:
    sol = policy_iteration(mdp)
    policy = mdp.policy_of_pairs(sol.policy)
    for table, suffix in ((FIG_5_2_NO_USABLE_ACE, ""), (FIG_5_2_USABLE_ACE, "_ace")):
        for total, row in table.items():
            got = "".join(
                "S" if policy[f"p{total}_d{d}{suffix}"] == "stick" else "H" for d in range(1, 11)
            )
            assert got == row, (total, suffix)
    # every state's v* against the tuple-of-cards expectimax written above
    for s, name in enumerate(mdp.states):
        if mdp.terminal[s]:
            continue
        d = int(name.split("_d")[1].split("_")[0])
        hand = tuple(sorted(hand_of(name)))
        assert abs(sol.values[s] - max(best(hand, d, True))) < 1e-12, name
    start = start_distribution()
    v_start = sum(float(p) * sol.values[mdp.state_index[n]] for n, p in start.items())
    # the expectimax lets any sum stick (so hitting below 12 is checked, not assumed)
    assert abs(v_start - v_star_start(True)) < 1e-12
    assert round(v_start, 4) == -0.0431


def test_sab_false_model_drops_the_natural_states_and_matches_the_derivation() -> None:
    mdp = loads_mdp(blackjack_yaml(sab=False))
    assert mdp.n_states == 203
    sol = policy_iteration(mdp)
    start = start_distribution(sab=False)
    v_start = sum(float(p) * sol.values[mdp.state_index[n]] for n, p in start.items())
    assert abs(v_start - v_star_start(False)) < 1e-12
    assert round(v_start, 4) == -0.0466  # a natural no longer beats the dealer's 3-card 21


# ---- against Gymnasium's Blackjack-v1, by simulation -------------------------------------


def rollout_stick_on_20(episodes: int, seed: int):
    """Gymnasium episodes under stick-on-20; the return of each and the first-visit return
    of every state with a sum of 12 or more (S&B's Fig 5.1 estimate)."""
    gym = pytest.importorskip("gymnasium")
    env = gym.make("Blackjack-v1").unwrapped  # registered with sab=True
    assert env.sab
    env.reset(seed=seed)
    returns, visits = [], {}
    for _ in range(episodes):
        obs, _ = env.reset()
        seen, done, reward = [], False, 0.0
        while not done:
            natural = len(env.player) == 2 and obs[0] == 21
            if obs[0] >= 12:
                name = (
                    f"natural_d{obs[1]}"
                    if natural
                    else f"p{obs[0]}_d{obs[1]}" + ("_ace" if obs[2] else "")
                )
                if name not in seen:
                    seen.append(name)
            obs, reward, done, _, _ = env.step(0 if obs[0] >= 20 else 1)
        returns.append(reward)  # gamma = 1, rewards only at the end: every visit's return
        for name in seen:
            visits.setdefault(name, []).append(reward)
    return np.array(returns), visits


def test_stick_on_20_values_match_a_gymnasium_rollout(mdp) -> None:
    values = evaluate_policy(mdp, mdp.policies["stick-on-20"]).values
    exact_start = sum(
        float(p) * values[mdp.state_index[n]] for n, p in start_distribution().items()
    )
    returns, visits = rollout_stick_on_20(40_000, seed=5)
    se = returns.std() / np.sqrt(len(returns))
    assert abs(returns.mean() - exact_start) < 4 * se  # about 0.019
    # Fig 5.1's surface, state by state: standardised errors behave like N(0, 1)
    z = []
    for name, rs in visits.items():
        if len(rs) >= 30:
            r = np.array(rs)
            sd = max(r.std(), 0.05)
            z.append((r.mean() - values[mdp.state_index[name]]) / (sd / np.sqrt(len(r))))
    z = np.array(z)
    assert len(z) >= 190
    assert np.max(np.abs(z)) < 4.5
    assert np.sum(z**2) < len(z) + 5 * np.sqrt(2 * len(z))  # chi-square with len(z) dof
    # the shape the book shows: sticking on 20/21 is good, on 12-19 (hitting) is bad
    assert values[mdp.state_index["p20_d5"]] > 0.6 and values[mdp.state_index["p15_d5"]] < -0.3


def test_dealer_final_scores_match_gymnasium() -> None:
    gym = pytest.importorskip("gymnasium")
    from gymnasium.envs.toy_text.blackjack import draw_card

    env = gym.make("Blackjack-v1").unwrapped
    env.reset(seed=11)
    n, chi2, cells = 2000, 0.0, 0
    for first in range(1, 11):
        counts: dict[int, int] = {}
        for _ in range(n):
            env.reset()
            env.player = [10, 10]
            env.dealer = [first, draw_card(env.np_random)]
            env.step(0)  # stick: the dealer plays out in env.dealer
            s = 0 if sum_hand(tuple(env.dealer)) > 21 else sum_hand(tuple(env.dealer))
            counts[s] = counts.get(s, 0) + 1
        _, exact = dealer_given_showing(first)
        assert set(counts) <= set(exact)
        for s, p in exact.items():
            expected = n * float(p)
            chi2 += (counts.get(s, 0) - expected) ** 2 / expected
            cells += 1
    dof = cells - 10
    assert chi2 < dof + 5 * np.sqrt(2 * dof)


@pytest.mark.parametrize(
    ("hand", "state"),
    [
        ((10, 2), "p12_d7"),
        ((1, 5), "p16_d7_ace"),
        ((1, 5, 5), "p21_d7_ace"),
        ((1, 10), "natural_d7"),
    ],
)
def test_one_hit_matches_gymnasium_frequencies(mdp, hand, state) -> None:
    """From a hand set in Gymnasium's env, one hit: next-state frequencies against the file."""
    gym = pytest.importorskip("gymnasium")
    env = gym.make("Blackjack-v1").unwrapped
    env.reset(seed=sum(hand))
    n = 4000
    counts: dict[str, int] = {}
    for _ in range(n):
        env.reset()
        env.player, env.dealer = list(hand), [7, 10]
        (total, card, ace), _, done, _, _ = env.step(1)
        name = "lose" if done else f"p{total}_d{card}" + ("_ace" if ace else "")
        counts[name] = counts.get(name, 0) + 1
    k = mdp.pair(state, "hit")
    exact = {mdp.states[mdp.out_next[z]]: mdp.out_prob[z] for z in mdp.outcomes(k)}
    assert set(counts) <= set(exact)
    chi2 = sum((counts.get(s, 0) - n * p) ** 2 / (n * p) for s, p in exact.items())
    dof = len(exact) - 1
    assert chi2 < dof + 5 * np.sqrt(2 * dof)
