"""The exact MDP of Gymnasium's ``Blackjack-v1`` (Sutton & Barto, Example 5.1), in fractions.

Gymnasium's Blackjack has no transition model ``P``; this module derives it from the rules
of ``gymnasium/envs/toy_text/blackjack.py``, so it lives beside the importer (it supplies
the ``P`` the importer refuses to invent) and needs no Gymnasium at all:

- an infinite deck: each card is 1 (ace) … 9 with probability 1/13, 10 with 4/13;
- a hand's value counts one ace as 11 when that does not exceed 21 (a *usable* ace);
- the player sees its value, the dealer's first card and whether its ace is usable;
  ``hit`` draws a card (over 21: lose, −1); ``stick`` lets the dealer draw while its value
  is below 17 (so it sticks on soft 17), then +1 / 0 / −1 by comparing values, a dealer
  over 21 losing;
- naturals, ``sab=True`` (how ``Blackjack-v1`` is registered, and S&B's rule): a player
  who sticks on a two-card 21 wins +1 unless the dealer's two cards are 21 too (draw).
  The natural is its own state ``natural_d{card}``, since sticking there is worth more
  than on a 21 reached by hitting. With ``sab=False`` (``natural=False``) a natural is
  an ordinary 21 and those states disappear. (``natural=True``'s 1.5 payout is not
  modelled.)

States ``p{sum}_d{card}`` (``_ace``: usable ace; ``d1`` is the dealer's ace), player sums
12–21 as in the book: below 12 a hit cannot bust and is always right, so the ``start``
distribution already includes those hits (dealing two cards, then drawing while below 12).
Terminal states ``win``, ``draw``, ``lose``; γ = 1. The dealer's final value given its
first card comes from the exact recursion ``dealer(hard, ace)`` over the cards it draws.

Regenerate the bundled file with
``python -c "from rlcli.gym.blackjack import blackjack_yaml; print(blackjack_yaml(), end='')" >
problems/blackjack.yaml``.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

CARDS: dict[int, Fraction] = {c: Fraction(1, 13) for c in range(1, 10)} | {10: Fraction(4, 13)}
DEALER_STICKS = 17
PLAYER_SUMS = range(12, 22)
DEALER_CARDS = range(1, 11)
BUST = 0  # Gymnasium's score of a bust hand


def value(hard: int, ace: bool) -> int:
    """The hand's value: the hard total, plus 10 for a usable ace (``sum_hand``)."""
    return hard + 10 if ace and hard + 10 <= 21 else hard


def usable(hard: int, ace: bool) -> bool:
    return ace and hard + 10 <= 21


@cache
def dealer(hard: int, ace: bool) -> dict[int, Fraction]:
    """P(final score | the dealer holds ``hard`` with or without an ace): it draws while its
    value is below 17; score = value, or 0 when over 21.

    dealer(h, a) = {value} if value ≥ 17, else Σ_c p(c) · dealer(h + c, a or c = 1).
    """
    v = value(hard, ace)
    if v > 21:
        return {BUST: Fraction(1)}
    if v >= DEALER_STICKS:
        return {v: Fraction(1)}
    result: dict[int, Fraction] = {}
    for card, p in CARDS.items():
        for score, q in dealer(hard + card, ace or card == 1).items():
            result[score] = result.get(score, Fraction(0)) + p * q
    return result


@cache
def dealer_given_showing(card: int) -> tuple[Fraction, dict[int, Fraction]]:
    """(P(the dealer's two cards are a natural), P(final score) over all its hands) given its
    face-up ``card``: the hidden card is drawn like any other."""
    natural = Fraction(0)
    scores: dict[int, Fraction] = {}
    for hidden, p in CARDS.items():
        hard, ace = card + hidden, 1 in (card, hidden)
        if value(hard, ace) == 21:
            natural += p
        for score, q in dealer(hard, ace).items():
            scores[score] = scores.get(score, Fraction(0)) + p * q
    return natural, scores


def state_name(player: int, card: int, ace: bool, natural: bool = False) -> str:
    if natural:
        return f"natural_d{card}"
    return f"p{player}_d{card}" + ("_ace" if ace else "")


def stick(player: int, card: int, natural: bool, sab: bool) -> dict[str, Fraction]:
    """P(win), P(draw), P(lose) when sticking on ``player`` against the face-up ``card``."""
    dealer_natural, scores = dealer_given_showing(card)
    if natural and sab:  # S&B: a natural wins unless the dealer has one too
        return {"win": 1 - dealer_natural, "draw": dealer_natural}
    result = {"win": Fraction(0), "draw": Fraction(0), "lose": Fraction(0)}
    for score, p in scores.items():
        result["win" if player > score else "draw" if player == score else "lose"] += p
    return result


def hit(player: int, ace: bool) -> dict[tuple[int, bool] | None, Fraction]:
    """P(next (sum, usable ace)) after one card; None is a bust. With a usable ace the hard
    total is ``player - 10`` and no card can bust it; without one, ``player ≥ 12`` makes any
    ace count 1."""
    hard = player - 10 if ace else player
    result: dict[tuple[int, bool] | None, Fraction] = {}
    for card, p in CARDS.items():
        h, a = hard + card, ace or card == 1
        key = None if value(h, a) > 21 else (value(h, a), usable(h, a))
        result[key] = result.get(key, Fraction(0)) + p
    return result


@cache
def _draw_to_12(hard: int, ace: bool) -> dict[tuple[int, bool], Fraction]:
    """P(first (sum, usable ace) with sum ≥ 12) when hitting from a hand below 12."""
    if value(hard, ace) >= 12:
        return {(value(hard, ace), usable(hard, ace)): Fraction(1)}
    result: dict[tuple[int, bool], Fraction] = {}
    for card, p in CARDS.items():
        for key, q in _draw_to_12(hard + card, ace or card == 1).items():
            result[key] = result.get(key, Fraction(0)) + p * q
    return result


def start_distribution(sab: bool = True) -> dict[str, Fraction]:
    """P(first decision state): the dealer's face-up card times the player's two cards (and
    the hits below 12); with ``sab`` a two-card 21 is the natural state."""
    player: dict[tuple[int, bool, bool], Fraction] = {}
    for c1, p1 in CARDS.items():
        for c2, p2 in CARDS.items():
            hard, ace = c1 + c2, 1 in (c1, c2)
            natural = sab and value(hard, ace) == 21
            for (s, u), q in _draw_to_12(hard, ace).items():
                key = (s, u, natural)
                player[key] = player.get(key, Fraction(0)) + p1 * p2 * q
    start: dict[str, Fraction] = {}
    for card, pc in CARDS.items():
        for (s, u, natural), p in sorted(player.items()):
            start[state_name(s, card, u, natural)] = pc * p
    return start


def decision_states(sab: bool = True) -> list[tuple[int, int, bool, bool]]:
    """(player sum, dealer card, usable ace, natural) of every non-terminal state."""
    states = [
        (s, card, ace, False) for ace in (False, True) for s in PLAYER_SUMS for card in DEALER_CARDS
    ]
    if sab:
        states += [(21, card, True, True) for card in DEALER_CARDS]
    return states


def blackjack_yaml(sab: bool = True) -> str:
    """The MDP file (``problems/blackjack.yaml`` is ``blackjack_yaml()``)."""
    states = decision_states(sab)
    rules = (
        "naturals as Blackjack-v1 is registered (sab=True, S&B's rule): sticking on a "
        "two-card 21 wins unless the dealer has one too (state natural_dN)"
        if sab
        else "naturals as sab=False, natural=False: a two-card 21 is an ordinary 21"
    )
    lines = [
        "# Generated by rlcli/gym/blackjack.py (blackjack_yaml); do not edit by hand.",
        "name: Blackjack",
        "description: >",
        "  Sutton & Barto, Example 5.1, exactly as Gymnasium's Blackjack-v1: infinite deck",
        "  (1-9 with probability 1/13 each, 10 with 4/13), the dealer draws below 17 and",
        "  sticks on soft 17, +1 win, 0 draw, -1 loss; " + rules + ".",
        "  States p{sum}_d{dealer card}[_ace] (d1 is the ace, _ace a usable ace); sums",
        "  below 12 are hit automatically (the start distribution includes those hits).",
        "gamma: 1",
        "states: [" + ", ".join([*(state_name(*s) for s in states), "win", "draw", "lose"]) + "]",
        "terminal: [win, draw, lose]",
        "start:",
    ]
    lines += [f"  {name}: {p}" for name, p in start_distribution(sab).items()]
    lines.append("transitions:")
    reward = {"win": 1, "draw": 0, "lose": -1}
    for player, card, ace, natural in states:
        lines.append(f"  {state_name(player, card, ace, natural)}:")
        lines.append("    stick:")
        for end, p in stick(player, card, natural, sab).items():
            if p:
                lines.append(f"      - {{next: {end}, p: {p}, r: {reward[end]}}}")
        lines.append("    hit:")
        for key, p in hit(player, ace).items():
            nxt = "lose" if key is None else state_name(key[0], card, key[1])
            lines.append(f"      - {{next: {nxt}, p: {p}, r: {-1 if key is None else 0}}}")
    lines.append("policies:")
    lines.append("  stick-on-20:  # S&B Figure 5.1: stick on 20 or 21, else hit")
    for player, card, ace, natural in states:
        action = "stick" if player >= 20 else "hit"
        lines.append(f"    {state_name(player, card, ace, natural)}: {action}")
    return "\n".join(lines) + "\n"
