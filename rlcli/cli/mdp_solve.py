"""``rlcli mdp evaluate | solve | equations``: exact policy evaluation, optimal control, and
the Bellman equations of a file."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from rlcli.cli.common import FileArg, JsonOpt, PolicyOpt, SetOpt, load, parse_overrides, policy
from rlcli.cli.console import out
from rlcli.cli.mdp import app
from rlcli.errors import UsageError
from rlcli.render.jsonout import emit

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from rlcli.mdp.model import MDP
    from rlcli.mdp.solve.optimal import Solution, Step


class EvalMethod(str, Enum):
    linear = "linear"
    iterative = "iterative"


class SolveMethod(str, Enum):
    policy_iteration = "policy-iteration"
    value_iteration = "value-iteration"


class Format(str, Enum):
    text = "text"
    markdown = "markdown"
    latex = "latex"


FormatOpt = Annotated[
    Format, typer.Option("--format", help="text (rich tables), markdown or latex.")
]
TraceOpt = Annotated[
    bool, typer.Option("--trace", help="Show every sweep / iteration (values and policy).")
]
ExactOpt = Annotated[
    bool, typer.Option("--exact", help="Rational arithmetic from the file's exact numbers.")
]
KeepOpt = Annotated[
    str | None,
    typer.Option(
        "--keep",
        help="Symbols to keep, comma-separated (parameters and/or gamma); default: every "
        "parameter and gamma except those given with --set; 'none' for numbers only.",
        metavar="NAMES",
    ),
]
QOpt = Annotated[
    bool | None,
    typer.Option("--q/--no-q", help="Show the Q table (default: yes, except for grid worlds)."),
]
SHOWN_SWEEPS = 10  # value-iteration traces show the first 10 sweeps and the last one


def _keep(keep: str | None, set_: list[str] | None, mdp: MDP) -> set[str]:
    """--keep alpha,beta → {"alpha", "beta"}; default: all parameters and gamma not --set."""
    if keep is not None:
        names = {n.strip() for n in keep.split(",") if n.strip()}
        return set() if names == {"none"} else names
    fixed = set(parse_overrides(set_))
    params = set(mdp.exact.parameters) if mdp.exact else set()
    return (params | {"gamma"}) - fixed


def _wants_q(mdp: MDP, show_q: bool | None) -> bool:
    return mdp.layout is None if show_q is None else show_q


def _header(mdp: MDP, what: str) -> str:
    return f"[bold]{escape(what)}[/bold] — {escape(mdp.name or mdp.source)} (gamma = {mdp.gamma:g})"


def _print_values(
    mdp: MDP,
    values: np.ndarray,
    shown_policy: np.ndarray,
    title: str,
    style: Format,
    exact: list[str] | None = None,
) -> None:
    from rlcli.render import values as view

    if style is not Format.text:
        header, rows = view.value_rows(mdp, values, shown_policy, exact)
        out.print(view.document(rows, header, style.value, title), markup=False, soft_wrap=True)
        return
    if mdp.layout is not None and exact is None:
        out.print(view.grid_values(mdp, values, shown_policy, title=title))
        return
    out.print(view.values_table(mdp, values, title, shown_policy, exact))


@app.command()
def evaluate(
    file: FileArg,
    policy_spec: PolicyOpt,
    method: Annotated[
        EvalMethod,
        typer.Option(
            "--method", help="linear: solve (I - gamma P_pi) V = r_pi; iterative: sweeps."
        ),
    ] = EvalMethod.linear,
    sweeps: Annotated[
        int | None,
        typer.Option("--sweeps", min=1, help="Iterative: stop after K sweeps (default: converge)."),
    ] = None,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Iterative: Gauss-Seidel (in-place) sweeps.")
    ] = False,
    trace: TraceOpt = False,
    exact: ExactOpt = False,
    symbolic: Annotated[
        bool, typer.Option("--symbolic", help="Closed form with sympy, parameters as symbols.")
    ] = False,
    keep: KeepOpt = None,
    show_q: QOpt = None,
    set_: SetOpt = None,
    format_: FormatOpt = Format.text,
    json: JsonOpt = False,
) -> None:
    """V_pi and Q_pi of a policy: linear solve, sweeps (--trace), exact fractions or closed form."""
    from rlcli.mdp.solve.evaluate import evaluate_policy, iterative_evaluation
    from rlcli.render import values as view

    if (sweeps or in_place) and method is not EvalMethod.iterative:
        raise UsageError("--sweeps and --in-place need --method iterative")
    if exact and symbolic:
        raise UsageError("choose one of --exact and --symbolic")
    if keep is not None and not symbolic:
        raise UsageError("--keep chooses the symbols of --symbolic; add --symbolic")
    mdp = load(file, set_)
    pi = policy(mdp, policy_spec)
    if method is EvalMethod.iterative:
        ev = iterative_evaluation(mdp, pi, sweeps=sweeps, in_place=in_place, trace=trace)
        how = f"{ev.method}: {ev.sweeps} sweep(s) from V0 = 0"
    else:
        ev = evaluate_policy(mdp, pi)
        how = f"linear solve ({ev.method})"
    exact_v = exact_q = None
    exact_trace: list[list[str]] = []
    if (exact or symbolic) and method is EvalMethod.iterative:
        if symbolic or not ev.sweeps or sweeps is None:
            raise UsageError("with --method iterative, use --exact together with --sweeps K")
        from rlcli.mdp.solve.exact import sweeps_exact

        exact_trace = [[str(x) for x in v] for v in sweeps_exact(mdp, pi, sweeps, in_place)]
        exact_v = exact_trace[-1]
        how += "; exact: rational arithmetic"
    elif exact or symbolic:
        exact_v, exact_q = _exact_evaluation(mdp, pi, symbolic, _keep(keep, set_, mdp))
        how += "; exact: " + ("sympy closed form" if symbolic else "rational arithmetic")
    if json:
        emit(
            view.as_json(
                mdp,
                ev.values,
                ev.q,
                pi,
                exact_v,
                exact_q,
                method=how,
                residual=ev.residual,
                sweeps=ev.sweeps or None,
                trace=[
                    {
                        "sweep": k + 1,
                        "values": dict(zip(mdp.states, v.tolist(), strict=True)),
                        "policy": mdp.policy_of_pairs(pi),
                        **(
                            {"exact": dict(zip(mdp.states, exact_trace[k], strict=True))}
                            if exact_trace
                            else {}
                        ),
                    }
                    for k, v in enumerate(ev.trace)
                ],
            )
        )
        return
    title = f"v_pi for policy {policy_spec}"
    if method is EvalMethod.iterative and sweeps is not None:
        title = f"values after {sweeps} sweep(s), policy {policy_spec}"
    if format_ is Format.text:
        out.print(_header(mdp, "policy evaluation"))
        out.print(f"{escape(how)}; Bellman residual {ev.residual:.2g}")
        _print_trace_sweeps(mdp, ev.trace, every=sweeps is not None)
        if exact_trace and trace:
            out.print(view.sweeps_table(mdp, exact_trace, "exact values after k sweeps"))
    _print_values(mdp, ev.values, pi, title, format_, exact_v)
    if format_ is Format.text and _wants_q(mdp, show_q):
        out.print(view.q_table(mdp, ev.q, title="q(s, a)"))
        if exact_q is not None:
            out.print("exact q_pi:", markup=False)
            for s in range(mdp.n_states):
                for k in mdp.pairs_of(s):
                    out.print(
                        f"  q({mdp.states[s]}, {mdp.actions[mdp.pair_action[k]]}) = {exact_q[k]}",
                        markup=False,
                        soft_wrap=True,
                    )
    elif format_ is Format.text:
        out.print("(Q table: --q)", style="dim")


def _exact_evaluation(
    mdp: MDP, pi: np.ndarray, symbolic: bool, keep: set[str]
) -> tuple[list[str], list[str]]:
    import sympy as sp

    from rlcli.mdp.solve.exact import evaluate_exact, evaluate_symbolic

    if symbolic:
        ev = evaluate_symbolic(mdp, pi, keep)
        return [sp.sstr(v) for v in ev.values], [sp.sstr(v) for v in ev.q]
    ev = evaluate_exact(mdp, pi)
    return [str(v) for v in ev.values], [str(v) for v in ev.q]


def _print_trace_sweeps(mdp: MDP, trace: list[np.ndarray], every: bool = True) -> None:
    from rlcli.render import values as view

    if not trace:
        return
    picks = list(range(len(trace)))
    if not every and len(trace) > SHOWN_SWEEPS + 1:
        picks = [*range(SHOWN_SWEEPS), len(trace) - 1]
    if len(picks) < len(trace):
        out.print(f"(showing sweeps 1-{SHOWN_SWEEPS} and {len(trace)}; --json has all)")
    if mdp.layout is not None:
        for k in picks:
            out.print(view.grid_values(mdp, trace[k], title=f"values after sweep {k + 1}"))
        return
    table = view.sweeps_table(mdp, [trace[k] for k in picks], "values after k sweeps")
    if len(picks) < len(trace):
        table.columns[-1].header = f"k={len(trace)}"
    out.print(table)


@app.command()
def solve(
    file: FileArg,
    method: Annotated[
        SolveMethod, typer.Option("--method", help="policy-iteration (exact) or value-iteration.")
    ] = SolveMethod.policy_iteration,
    start_policy: Annotated[
        str | None,
        typer.Option(
            "--start-policy",
            help="Policy iteration: start from this policy (a name, 'uniform' or inline) "
            "instead of the first actions (gamma = 1: a proper policy).",
            metavar="POLICY",
        ),
    ] = None,
    epsilon: Annotated[
        float | None,
        typer.Option(
            "--epsilon",
            help="Value iteration: sweep until the change is < epsilon(1-gamma)/(2 gamma) "
            "(gamma = 1: < epsilon), then evaluate the greedy policy exactly: the values "
            "and ties shown are that policy's, exact when it is optimal.",
        ),
    ] = None,
    trace: TraceOpt = False,
    exact: ExactOpt = False,
    symbolic: Annotated[
        bool,
        typer.Option(
            "--symbolic",
            help="V* in closed form (parameters as symbols) for the optimal policy found, "
            "with the conditions under which that policy stays optimal.",
        ),
    ] = False,
    keep: KeepOpt = None,
    show_q: QOpt = None,
    set_: SetOpt = None,
    format_: FormatOpt = Format.text,
    json: JsonOpt = False,
) -> None:
    """V*, Q* and every optimal action: policy iteration (default) or value iteration."""
    from rlcli.mdp.solve.greedy import tie_policy
    from rlcli.mdp.solve.optimal import initial_policy, policy_iteration, value_iteration
    from rlcli.render import values as view

    if epsilon is not None and method is not SolveMethod.value_iteration:
        raise UsageError("--epsilon is a value-iteration option (add --method value-iteration)")
    if epsilon is not None and not epsilon > 0:
        raise UsageError(f"--epsilon must be positive, got {epsilon:g}")
    if start_policy is not None and method is not SolveMethod.policy_iteration:
        raise UsageError("--start-policy is a policy-iteration option")
    if exact and method is not SolveMethod.policy_iteration:
        raise UsageError("--exact works with --method policy-iteration")
    if exact and symbolic:
        raise UsageError("choose one of --exact and --symbolic")
    if keep is not None and not symbolic:
        raise UsageError("--keep chooses the symbols of --symbolic; add --symbolic")
    mdp = load(file, set_)
    pi0 = None if start_policy is None else policy(mdp, start_policy)
    if method is SolveMethod.value_iteration:
        sol = value_iteration(mdp, 1e-6 if epsilon is None else epsilon, trace=trace)
    else:
        sol = policy_iteration(mdp, pi0, trace=trace)
    values, q, optimal, chosen, iterations = (
        sol.values,
        sol.q,
        sol.optimal,
        sol.policy,
        sol.iterations,
    )
    exact_v = exact_q = None
    if exact:
        import numpy as np

        from rlcli.mdp.solve.exact import policy_iteration_exact

        ex = policy_iteration_exact(mdp, initial_policy(mdp) if pi0 is None else pi0)
        exact_v, exact_q = [str(v) for v in ex.values], [str(v) for v in ex.q]
        values = np.array([float(v) for v in ex.values])
        q = np.array([float(v) for v in ex.q])
        optimal, chosen, iterations = ex.optimal, ex.policy, ex.iterations
    conditions = []
    if symbolic:
        from rlcli.mdp.solve.exact import evaluate_symbolic, optimality_conditions

        ev = evaluate_symbolic(mdp, chosen, _keep(keep, set_, mdp))
        exact_v, exact_q = [str(v) for v in ev.values], [str(v) for v in ev.q]
        conditions = optimality_conditions(mdp, chosen, ev.q)
    ties = tie_policy(mdp, optimal.astype(float), tol=0.5)
    if json:
        emit(
            view.as_json(
                mdp,
                values,
                q,
                chosen,
                exact_v,
                exact_q,
                iterations=iterations,
                method=sol.method + (" (exact)" if exact else ""),
                stopping=sol.stopping,
                bound=sol.bound,
                residual=sol.residual,
                optimal_actions={
                    mdp.states[s]: [
                        mdp.actions[mdp.pair_action[k]] for k in mdp.pairs_of(s) if optimal[k]
                    ]
                    for s in range(mdp.n_states)
                    if mdp.n_actions_of[s]
                },
                trace=[_step_json(mdp, i, step) for i, step in enumerate(sol.trace)],
            )
            | (
                {
                    "conditions": [
                        {
                            "state": c.state,
                            "chosen": c.chosen,
                            "action": c.action,
                            "margin": str(c.margin),
                        }
                        for c in conditions
                    ]
                }
                if symbolic
                else {}
            )
        )
        return
    if format_ is Format.text:
        name = sol.method + (" in exact rationals" if exact else "")
        out.print(_header(mdp, name))
        out.print(
            f"{iterations} iteration(s); stopped: {escape(sol.stopping)}; "
            f"Bellman optimality residual {sol.residual:.2g}",
            soft_wrap=True,
        )
        _print_solve_trace(mdp, sol, method, start_policy)
    _print_values(mdp, values, ties, "v* and every optimal action", format_, exact_v)
    if symbolic:
        _print_conditions(conditions)
    if format_ is Format.text and _wants_q(mdp, show_q):
        out.print(view.q_table(mdp, q, optimal, title="q*(s, a), ★ optimal"))
    elif format_ is Format.text:
        out.print("(Q table: --q)", style="dim")


def _print_conditions(conditions: list) -> None:
    """The region where the policy found stays optimal (policy improvement theorem)."""
    if not conditions:
        out.print("this policy is optimal for every value of the symbols")
        return
    out.print("this policy stays optimal while every margin q(s, chosen) - q(s, other) >= 0:")
    for c in conditions:
        out.print(
            escape(f"  {c.state}: {c.chosen} over {c.action}: {c.margin} >= 0"),
            soft_wrap=True,
        )


def _step_json(mdp: MDP, i: int, step: Step) -> dict:
    return {
        "iteration": i + 1,
        "values": dict(zip(mdp.states, step.values.tolist(), strict=True)),
        "policy": mdp.policy_of_pairs(step.policy),
        "changed": [mdp.states[s] for s in step.changed],
    }


def _print_solve_trace(
    mdp: MDP, sol: Solution, method: SolveMethod, start: str | None = None
) -> None:
    steps = sol.trace
    if not steps:
        return
    if method is SolveMethod.value_iteration:
        _print_trace_sweeps(mdp, [step.values for step in steps], every=False)
        return
    from rlcli.render import values as view

    if start is None:
        start = "a proper policy from a reachability search" if mdp.gamma >= 1 else "first actions"
    else:
        start = f"--start-policy {start}"
    out.print(
        f"pi_0: {escape(start)}; each iteration evaluates pi_i exactly, then improves greedily"
    )
    for i, step in enumerate(steps):
        changed = ", ".join(mdp.states[s] for s in step.changed[:20]) or "none (stable)"
        title = f"iteration {i + 1}: v of pi_{i}"
        if mdp.layout is not None:
            out.print(view.grid_values(mdp, step.values, step.policy, title=title))
        else:
            out.print(view.values_table(mdp, step.values, title, step.policy))
        out.print(f"greedy improvement changes: {escape(changed)}", soft_wrap=True)


@app.command()
def equations(
    file: FileArg,
    policy_spec: Annotated[
        str | None,
        typer.Option("-p", "--policy", help="Expectation equations of this policy."),
    ] = None,
    optimal: Annotated[
        bool, typer.Option("--optimal", help="The Bellman optimality equations.")
    ] = False,
    keep: KeepOpt = None,
    set_: SetOpt = None,
    format_: FormatOpt = Format.text,
    json: JsonOpt = False,
) -> None:
    """The Bellman expectation (-p POLICY) or optimality (--optimal) equations, one per state."""
    from rlcli.mdp.solve.equations import bellman_equations
    from rlcli.render.equations import equation_lines, render

    if (policy_spec is None) == (not optimal):
        raise UsageError("give exactly one of -p/--policy POLICY and --optimal")
    mdp = load(file, set_)
    pi = None if optimal else policy(mdp, policy_spec or "")
    system = bellman_equations(mdp, pi, _keep(keep, set_, mdp))
    if json:
        text, latex = equation_lines(system, "text"), equation_lines(system, "markdown")
        emit(
            {
                "kind": system.kind,
                "symbols": list(system.symbols),
                "equations": {
                    state: {"text": t, "latex": x[3:-3]}
                    for state, t, x in zip(system.states, text, latex, strict=False)
                },
                "terminal": system.terminal,
            }
        )
        return
    out.print(render(system, format_.value), markup=False, highlight=False, soft_wrap=True)
