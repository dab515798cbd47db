"""``replay``: one method on given experience, as a ``Worked`` answer (lines, tables, JSON)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

from rlcli.errors import UsageError
from rlcli.replay import batch as batch_mod
from rlcli.replay import episodic, importance, tabular
from rlcli.replay.experience import Experience
from rlcli.replay.numbers import Value, number, number_list
from rlcli.replay.policy import parse_policy
from rlcli.replay.returns import (
    MAX_TERMS,
    discounted_returns,
    lambda_returns,
    nstep_returns_from,
    nstep_text,
)
from rlcli.replay.setup import (
    Setup,
    actions_table,
    check_against_mdp,
    initial_q,
    initial_v,
    resolve,
    states_list,
)
from rlcli.replay.worked import (
    Line,
    Table,
    Worked,
    all_exact,
    exact,
    num,
    paren,
    q_json,
    q_table,
    show,
    show_dec,
    value_table,
    values_json,
)

if TYPE_CHECKING:  # pragma: no cover
    from rlcli.mdp.model import MDP

METHODS = (
    "td",
    "nstep",
    "td-lambda",
    "mc",
    "sarsa",
    "q-learning",
    "expected-sarsa",
    "double-q",
    "returns",
    "importance-sampling",
)
MAX_COINS = 100_000
# Exact fractions grow with every update: beyond these many steps the replay runs in floats.
# (Measured: 300 TD/MC/n-step steps take 0.1-0.2 s exactly; traces grow much faster, 100
# true-online steps take 1 s, 150 take 7 s, 300 take minutes.)
EXACT_STEPS = 300
EXACT_TRACE_STEPS = 60


@dataclass
class Options:
    gamma: str | None = None
    alpha: str | None = None
    init: str | None = None
    n: int = 1
    lam: str | None = None
    variant: str = "offline"
    visit: str = "every"
    batch: bool = False
    epsilon: str | None = None
    policy: str | None = None
    coins: str | None = None
    seed: int | None = None
    target: str | None = None
    behaviour: str | None = None
    per_decision: bool = False
    returns: str | None = None
    ratios: str | None = None
    alpha_on_target: bool = False  # the mistake V ← V + α·target (``replay_mistakes``)


def replay(method: str, exp: Experience | None, opt: Options, mdp: MDP | None = None) -> Worked:
    if method not in METHODS:
        raise UsageError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    if method == "importance-sampling" and exp is None:
        return given_importance(opt)
    if exp is None:
        raise UsageError(
            f"replay {method}: give the experience (a file, or --episodes/--transitions)"
        )
    if mdp is not None:
        check_against_mdp(exp, mdp)
    setup = replace(resolve(exp, opt.gamma, opt.alpha, mdp), alpha_on_target=opt.alpha_on_target)
    traces = method == "td-lambda" and opt.variant != "offline"
    limit = EXACT_TRACE_STEPS if traces else EXACT_STEPS
    if exp.n_steps > limit:  # exact sizes grow with every update
        exp = exp.in_floats()
        alpha = None if setup.alpha is None else float(setup.alpha)
        setup = replace(setup, gamma=float(setup.gamma), alpha=alpha)
        setup.notes.append(
            f"{exp.n_steps} steps: computed in floating point (exact up to {limit} steps)"
        )
    if opt.visit not in ("first", "every"):
        raise UsageError(f"visit: {opt.visit!r} is not first or every")
    if opt.batch and method not in ("td", "mc"):
        raise UsageError("--batch applies to td and mc")
    if method in ("sarsa", "q-learning", "expected-sarsa", "double-q"):
        return _control(method, exp, setup, opt, mdp)
    if method == "importance-sampling":
        return episode_importance(exp, setup, opt)
    names = states_list(exp, mdp)
    v0 = initial_v(exp, setup, opt.init, names)
    if method == "returns":
        return _returns(exp, setup, opt, v0)
    if opt.batch:
        return _batch(method, exp, setup, opt, v0)
    v = dict(v0)
    episodes = exp.all
    notes = list(setup.notes)
    if method == "td":
        lines, updated = tabular.td0(episodes, setup, v)
        title = "TD(0): V(S) ← V(S) + α[R + γV(S') − V(S)]  (S&B eq. 6.2)"
    elif method == "nstep":
        if opt.n < 1:
            raise UsageError("n: must be at least 1")
        lines, updated = episodic.nstep(episodes, setup, v, opt.n)
        title = f"{opt.n}-step TD: V(S_τ) ← V(S_τ) + α[G_τ:τ+{opt.n} − V(S_τ)]  (S&B eq. 7.2)"
    elif method == "td-lambda":
        lam = _lambda(opt)
        lines, updated = episodic.td_lambda(episodes, setup, v, lam, opt.variant)
        title = f"TD(λ), λ = {show(lam)}, {opt.variant}"
        if opt.variant == "offline":
            notes.append(
                "offline λ-return (S&B eq. 12.4): each episode's G^λ_t uses the values "
                "at the start of that episode; V(S_t) is updated in time order"
            )
    else:
        first = opt.visit == "first"
        lines, updated = episodic.mc(episodes, setup, v, first)
        how = "sample averages α = 1/N(s)" if setup.alpha is None else f"α = {show(setup.alpha)}"
        title = f"{opt.visit}-visit Monte Carlo, {how}: V(S_t) ← V(S_t) + α[G_t − V(S_t)]"
    return _v_answer(title, notes, lines, v, v0, updated, setup, names)


def _lambda(opt: Options) -> Value:
    if opt.lam is None:
        raise UsageError("lambda: give --lambda")
    lam = number(opt.lam, "lambda")
    if not 0 <= lam <= 1:
        raise UsageError(f"lambda: {lam} is not in [0, 1]")
    return lam


def _v_answer(
    title: str,
    notes: list[str],
    lines: list[Line],
    v: dict[str, Value],
    v0: dict[str, Value],
    updated: set[str],
    setup: Setup,
    names: list[str],
    extra_tables: list[Table] | None = None,
    extra_json: dict | None = None,
) -> Worked:
    shown = {s: v[s] for s in names if not setup.is_terminal(s)}
    table = value_table("final values", shown, v0, updated)
    doc = values_json(shown)
    doc.update(extra_json or {})
    return Worked(title, notes, lines, [*(extra_tables or []), table], doc)


def _batch(
    method: str, exp: Experience, setup: Setup, opt: Options, v0: dict[str, Value]
) -> Worked:
    names = list(v0)
    notes = list(setup.notes)
    lines: list[Line] = []
    tables: list[Table] = []
    extra: dict = {}
    if method == "td":
        model = batch_mod.certainty_equivalence(exp.all)
        v = batch_mod.batch_td(model, setup, v0)
        rows = []
        for s in model.visits:
            nxt = ", ".join(f"p̂({s2}|{s}) = {show(p)}" for s2, p in model.next_prob[s].items())
            rows.append([s, str(model.visits[s]), show(model.mean_reward[s]), nxt])
            lines.append(
                Line(
                    s,
                    f"V({s}) = r̂({s}) + γ Σ p̂(s'|{s})V(s') = {show(model.mean_reward[s])}"
                    + "".join(
                        f" + {paren(setup.gamma)}·{paren(p)}·V({s2})"
                        for s2, p in model.next_prob[s].items()
                        if not setup.is_terminal(s2)
                    )
                    + f" = {show_dec(v[s])}",
                    {"state": s, "value": v[s]},
                )
            )
        tables.append(
            Table(
                "certainty-equivalence model (what batch TD converges to)",
                ["state", "N(s)", "r̂(s)", "p̂(s'|s)"],
                rows,
            )
        )
        title = (
            "batch TD(0): the fixed point V = r̂ + γP̂V of the maximum-likelihood model (S&B §6.3)"
        )
        if len(model.visits) > batch_mod.EXACT_STATES:
            notes.append(
                f"more than {batch_mod.EXACT_STATES} states visited: solved in floating point"
            )
        extra["model"] = {
            s: {
                "visits": model.visits[s],
                "mean_reward": num(model.mean_reward[s]),
                "next": num(model.next_prob[s]),
            }
            for s in model.visits
        }
        updated = set(model.visits)
    else:
        v, rets = batch_mod.batch_mc(exp.all, setup, v0, opt.visit == "first")
        for s, g in rets.items():
            lines.append(
                Line(
                    s,
                    f"V({s}) = mean({', '.join(show(x) for x in g)}) = {show_dec(v[s])}",
                    {"state": s, "returns": g, "value": v[s]},
                )
            )
        title = f"batch {opt.visit}-visit Monte Carlo: V(s) = mean of the returns from s (S&B §6.3)"
        updated = set(rets)
    return _v_answer(title, notes, lines, v, v0, updated, setup, names, tables, extra)


def _control(method: str, exp: Experience, setup: Setup, opt: Options, mdp: MDP | None) -> Worked:
    if not exp.control:
        raise UsageError(
            f"{method}: the experience has no actions; write episodes as "
            "S A R S A R ... (or transitions as s a r s')"
        )
    if setup.alpha is None:
        raise UsageError(f"{method}: give a step size (--alpha, or 'alpha:' in the file)")
    actions = actions_table(exp, setup, mdp)
    q0 = initial_q(exp, setup, opt.init, actions, fixed=mdp is not None)
    q = dict(q0)
    notes = list(setup.notes)
    epsilon = number(opt.epsilon, "epsilon") if opt.epsilon is not None else None
    if epsilon is not None and not 0 <= epsilon <= 1:
        raise UsageError(f"epsilon: {epsilon} is not in [0, 1]")
    policy = None
    if method == "expected-sarsa":
        raw = opt.policy if opt.policy is not None else exp.extra.get("policy")
        if raw is not None:
            policy = parse_policy(raw, "policy")
            notes.append("target policy: the given table")
        elif epsilon is None:
            raise UsageError(
                "expected-sarsa: give --epsilon (ε-greedy in the current Q) "
                "or a target --policy table"
            )
        else:
            notes.append(
                f"target policy: ε-greedy in the current Q with ε = {show(epsilon)} "
                "(ties share the greedy probability)"
            )
    coins = _coins(opt, exp) if method == "double-q" else None
    lines, updated, q2 = tabular.control(method, exp.all, setup, q, actions, epsilon, policy, coins)
    titles = {
        "sarsa": "SARSA: Q(S,A) ← Q(S,A) + α[R + γQ(S',A') − Q(S,A)]  (S&B eq. 6.7)",
        "q-learning": "Q-learning: Q(S,A) ← Q(S,A) + α[R + γ max_a Q(S',a) − Q(S,A)]  (eq. 6.8)",
        "expected-sarsa": "Expected SARSA: Q(S,A) ← Q(S,A) + α[R + γ Σ_a π(a|S')Q(S',a) − Q(S,A)]"
        "  (eq. 6.9)",
        "double-q": "Double Q-learning (S&B §6.7): coin 1 updates Q1 toward R + γQ2(S', argmax_a "
        "Q1(S',a)), coin 2 the reverse",
    }
    tables = [q_table("final Q" if q2 is None else "final Q1", q, q0, {k for k in updated})]
    doc = q_json(q)
    if q2 is not None:
        tables.append(q_table("final Q2", q2, q0, set()))
        doc["q2"] = q_json(q2)["q"]
        doc["coins"] = list(coins or [])
    return Worked(titles[method], notes, lines, tables, doc)


def _coins(opt: Options, exp: Experience) -> list[int]:
    steps = sum(len(e.steps) for e in exp.all)
    if opt.coins is not None:
        items = [c for c in opt.coins.replace(",", " ").split() if c]
        if len(items) > MAX_COINS:
            raise UsageError(f"coins: more than {MAX_COINS}")
        if any(c not in ("1", "2") for c in items):
            raise UsageError("coins: each flip is 1 (update Q1) or 2 (update Q2)")
        return [int(c) for c in items]
    if opt.seed is None:
        raise UsageError("double-q: give the coin flips (--coins 1,2,...) or --seed")
    import numpy as np  # only the seeded coins need it

    rng = np.random.default_rng(opt.seed)
    return [int(c) for c in rng.integers(1, 3, size=steps)]


def _returns(exp: Experience, setup: Setup, opt: Options, v0: dict[str, Value]) -> Worked:
    if len(exp.all) != 1:
        raise UsageError(f"returns: give one episode ({len(exp.all)} given)")
    ep = exp.all[0]
    states = ep.states
    lam = _lambda(opt) if opt.lam is not None else None

    def v_at(i: int) -> Value:
        return Fraction(0) if setup.is_terminal(states[i]) else v0[states[i]]

    T = len(ep.steps)
    tail = v_at(T)
    G = discounted_returns(ep.rewards, setup.gamma, tail)
    lines = []
    for t in range(T):
        lines.append(
            Line(
                f"G_{t}",
                f"G_{t} = R_{t + 1} + γG_{t + 1} = {show(ep.rewards[t])} + "
                f"{paren(setup.gamma)}·{paren(G[t + 1] if t + 1 < T else tail)} = "
                f"{show_dec(G[t])}",
                {"t": t, "return": G[t]},
            )
        )
    nstep = {}
    all_n = nstep_returns_from(ep.rewards, v_at, setup.gamma)
    for n in range(1, T + 1):
        nstep[n] = all_n[n - 1]
        h = min(n, T)
        boot = None if setup.is_terminal(states[h]) else (states[h], v_at(h))
        lines.append(
            Line(
                f"G_0:{n}",
                f"G_0:{n} = {nstep_text(ep.rewards, setup.gamma, boot, 0, h)} = "
                f"{show_dec(nstep[n])}",
                {"n": n, "nstep_return": nstep[n]},
            )
        )
    doc: dict = {"returns": num(G), "nstep": num(nstep)}
    ex: dict = {}
    if all_exact(G) and all_exact(list(nstep.values())):
        ex = {"returns": exact(G), "nstep": exact(nstep)}
    if lam is not None:
        lr = lambda_returns(ep.rewards, v_at, setup.gamma, lam)
        shown = range(1, T) if T <= MAX_TERMS else [*range(1, MAX_TERMS - 1), T - 1]
        terms = [f"{paren((1 - lam) * lam ** (n - 1))}·{paren(nstep[n])}" for n in shown]
        if T > MAX_TERMS:
            terms.insert(-1, "…")
        weights = " + ".join([*terms, f"{paren(lam ** (T - 1))}·{paren(G[0])}"])
        lines.append(
            Line(
                "G^λ_0",
                f"G^λ_0 = Σ_n (1−λ)λ^(n−1) G_0:n + λ^(T−1) G_0 = {weights} = {show_dec(lr[0])}",
                {"lambda": lam, "lambda_return": lr[0]},
            )
        )
        doc["lambda_return"] = num(lr[0])
        doc["lambda_returns"] = num(lr)
        if all_exact(lr):
            ex.update(lambda_return=exact(lr[0]), lambda_returns=exact(lr))
    if ex:
        doc["exact"] = ex
    notes = list(setup.notes)
    if not ep.complete:
        notes.append(
            f"{ep.label} ends in the non-terminal {states[-1]}: returns bootstrap "
            f"from V({states[-1]}) = {show(tail)}"
        )
    # G_t:t+n = G_t − γ^(h−t)·G_h + γ^(h−t)·V(S_h), h = min(t+n, T), with G_T = the tail
    n = opt.n
    if n < 1:
        raise UsageError("n: must be at least 1")
    G_ext = [*G, tail]
    n_step_t = [
        G[t] - setup.gamma ** (h - t) * G_ext[h] + setup.gamma ** (h - t) * v_at(h)
        for t in range(T)
        for h in [min(t + n, T)]
    ]
    doc["nstep_t"] = num(n_step_t)
    doc["nstep_n"] = n
    if all_exact(n_step_t) and "exact" in doc:
        doc["exact"]["nstep_t"] = exact(n_step_t)
    header = ["t", "S_t", "R_(t+1)", "G_t", "decimal", f"G_t:t+{n}"]
    rows = [
        [
            str(t),
            states[t],
            show(ep.rewards[t]),
            show(G[t]),
            f"{float(G[t]):.6g}",
            show(n_step_t[t]),
        ]
        for t in range(T)
    ]
    if lam is not None:
        header.append("G^λ_t")
        for t, row in enumerate(rows):
            row.append(show(lr[t]))
    table = Table("returns", header, rows)
    return Worked(f"returns of {ep.label} (γ = {show(setup.gamma)})", notes, lines, [table], doc)


def given_importance(opt: Options) -> Worked:
    """Ordinary and weighted IS from given returns and ratios."""
    if opt.returns is None or opt.ratios is None:
        raise UsageError(
            "importance-sampling: give episodes with --target and --behaviour "
            "policies, or --returns and --ratios"
        )
    G = number_list(opt.returns, "returns")
    rho = number_list(opt.ratios, "ratios")
    est = importance.estimates(G, rho)
    return _is_answer("importance sampling from given returns and ratios", [], G, rho, est, [])


def _is_answer(
    title: str,
    notes: list[str],
    G: list[Value],
    rho: list[Value],
    est: importance.Estimates,
    lines: list[Line],
    extra: dict | None = None,
) -> Worked:
    n = len(G)
    products = " + ".join(f"{paren(r)}·{paren(g)}" for r, g in zip(rho, G, strict=False))
    total = sum(rho, Fraction(0))
    lines = [
        *lines,
        Line(
            "ordinary",
            f"V = Σρ_iG_i / n = ({products}) / {n} = {show_dec(est.ordinary)}",
            {"estimate": est.ordinary},
        ),
        Line(
            "weighted",
            f"V = Σρ_iG_i / Σρ_i = ({products}) / {show(total)} = "
            f"{show_dec(est.weighted)}" + ("  (Σρ = 0: defined as 0)" if total == 0 else ""),
            {"estimate": est.weighted},
        ),
    ]
    doc: dict = {"ordinary": num(est.ordinary), "weighted": num(est.weighted), **(extra or {})}
    if all_exact([est.ordinary, est.weighted]):
        doc["exact"] = {"ordinary": exact(est.ordinary), "weighted": exact(est.weighted)}
    table = Table(
        "estimates",
        ["estimator", "value", "decimal"],
        [
            ["ordinary (eq. 5.5)", show(est.ordinary), f"{float(est.ordinary):.6g}"],
            ["weighted (eq. 5.6)", show(est.weighted), f"{float(est.weighted):.6g}"],
        ],
    )
    return Worked(title, notes, lines, [table], doc)


def episode_importance(exp: Experience, setup: Setup, opt: Options) -> Worked:
    raw_t = opt.target if opt.target is not None else exp.extra.get("target")
    raw_b = (
        opt.behaviour
        if opt.behaviour is not None
        else (exp.extra.get("behaviour", exp.extra.get("behavior")))
    )
    if raw_t is None or raw_b is None:
        raise UsageError(
            "importance-sampling: episodes need a --target and a --behaviour "
            "policy table (or 'target:'/'behaviour:' in the file)"
        )
    target, behaviour = parse_policy(raw_t, "target"), parse_policy(raw_b, "behaviour")
    vis = importance.visits(exp.all, setup.gamma, target, behaviour, opt.visit == "first")
    lines = []
    for x in vis:
        prod = "·".join(paren(r) for r in x.step_ratios)
        prod = "" if len(x.step_ratios) == 1 else f"{prod} = "
        lines.append(
            Line(
                f"{x.episode} t={x.t}",
                f"{x.state}: ρ_{x.t}:T−1 = {prod}"
                f"{show(x.ratio)}, G_{x.t} = {show(x.ret)}"
                + (f", per-decision G̃_{x.t} = {show(x.per_decision)}" if opt.per_decision else ""),
                {
                    "episode": x.episode,
                    "t": x.t,
                    "state": x.state,
                    "ratio": x.ratio,
                    "return": x.ret,
                    "per_decision_return": x.per_decision,
                },
            )
        )
    per_state: dict[str, dict] = {}
    tables_rows = []
    for s in dict.fromkeys(x.state for x in vis):
        mine = [x for x in vis if x.state == s]
        est = importance.estimates([x.ret for x in mine], [x.ratio for x in mine])
        entry = {"ordinary": est.ordinary, "weighted": est.weighted, "visits": len(mine)}
        row = [s, str(len(mine)), show(est.ordinary), show(est.weighted)]
        if opt.per_decision:
            pd = sum((x.per_decision for x in mine), Fraction(0)) / len(mine)
            entry["per_decision"] = pd
            row.append(show(pd))
        per_state[s] = entry
        tables_rows.append(row)
    header = ["state", "visits", "ordinary", "weighted"] + (
        ["per-decision"] if opt.per_decision else []
    )
    first = vis[0].state
    doc = {
        "ordinary": num(per_state[first]["ordinary"]),
        "weighted": num(per_state[first]["weighted"]),
        "states": num(per_state),
    }
    if all_exact(per_state):
        doc["exact"] = {
            "ordinary": exact(per_state[first]["ordinary"]),
            "weighted": exact(per_state[first]["weighted"]),
            "states": exact(per_state),
        }
    notes = [
        *list(setup.notes),
        f"{opt.visit}-visit; 'ordinary' and 'weighted' at the top level are for {first}, the "
        "first state of the first episode",
        "ordinary V(s) = Σ ρG / N(s) (eq. 5.5); weighted V(s) = Σ ρG / Σ ρ (eq. 5.6)",
    ]
    title = "off-policy MC prediction by importance sampling (S&B §5.5)"
    return Worked(title, notes, lines, [Table("estimates per state", header, tables_rows)], doc)
