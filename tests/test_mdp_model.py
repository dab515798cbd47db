"""The model's per-state views of (K,) pair arrays, against the obvious per-state loops."""

from __future__ import annotations

import numpy as np

from rlcli.mdp.read.load import load_mdp


def _by_loop(mdp, pi):
    """{state: action or {action: prob}} one state at a time, as the file lists them."""
    result = {}
    for s, state in enumerate(mdp.states):
        ks = [k for k in range(mdp.n_pairs) if mdp.pair_state[k] == s]
        if not ks:
            continue
        probs = {mdp.actions[mdp.pair_action[k]]: float(pi[k]) for k in ks if pi[k] > 0}
        result[state] = next(iter(probs)) if len(probs) == 1 else probs
    return result


def test_policy_of_pairs_and_chosen_actions_against_loops() -> None:
    rng = np.random.default_rng(5)
    for name in ("recycling-robot", "gridworld-4x4", "cliff-walking", "student-mdp"):
        mdp = load_mdp(f"problems/{name}.yaml")
        for _ in range(20):
            pi = rng.random(mdp.n_pairs) * (rng.random(mdp.n_pairs) < 0.6)  # some states: none
            expected = _by_loop(mdp, pi)
            assert mdp.policy_of_pairs(pi) == expected
            chosen = mdp.chosen_actions(pi)
            for s, state in enumerate(mdp.states):
                want = expected.get(state, [])
                want = [want] if isinstance(want, str) else list(want)
                assert chosen[s] == want, (name, state)
                assert list(mdp.pairs_of(s)) == [
                    k for k in range(mdp.n_pairs) if mdp.pair_state[k] == s
                ]


def test_sparse_P_adds_a_repeated_next_state_and_leaves_the_outcomes_alone() -> None:
    from rlcli.mdp.read.load import loads_mdp

    mdp = loads_mdp(
        "gamma: 0.5\nstates: [a, b]\ntransitions:\n"
        "  a: {go: [{next: b, p: 0.25, r: 1}, {next: a, p: 0.5, r: 0}, {next: b, p: 0.25, r: 3}]}\n"
        "  b: {stay: {next: b}}\n",
        "m.yaml",
    )
    next_before, prob_before = mdp.out_next.copy(), mdp.out_prob.copy()
    # row (a, go): p(a) = 0.5, p(b) = 0.25 + 0.25; row (b, stay): p(b) = 1
    assert mdp.P.toarray().tolist() == [[0.5, 0.5], [0.0, 1.0]]
    assert mdp.out_next.tolist() == next_before.tolist() == [1, 0, 1, 1]
    assert mdp.out_prob.tolist() == prob_before.tolist()
