"""``rlcli mdp evaluate | solve | equations``: exact policy evaluation, optimal control, and
the Bellman equations of a file."""

from __future__ import annotations

from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.text import Text

from rlcli.cli import console
from rlcli.cli.common import FileArg, JsonOpt, PolicyOpt, SetOpt, load, parse_overrides, policy
from rlcli.cli.mdp import app
from rlcli.cli.practice import AnswerOpt, TolOpt, check_answer
from rlcli.errors import UsageError
from rlcli.render.jsonout import emit

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterator

    import numpy as np

    from rlcli.mdp.model import MDP


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
ShowWorkOpt = Annotated[
    bool,
    typer.Option("--show-work", help="Write out every backup with its numbers substituted."),
]
StateOpt = Annotated[
    list[str] | None,
    typer.Option("--state", help="--show-work: only these states (repeatable).", metavar="S"),
]
SHOWN_SWEEPS = 10  # converging traces show the first 10 sweeps and the last one
# the library names its settings by field; the CLI reports them under their flags
FLAGS = {
    "sweeps": "--sweeps", "in_place": "--in-place", "exact": "--exact",
    "symbolic": "--symbolic", "keep": "--keep", "epsilon": "--epsilon",
    "start": "--start-policy", "trace": "--trace", "method": "--method",
}  # fmt: skip


@contextmanager
def flags() -> Iterator[None]:
    """Report the library's field errors under the CLI's flags (keep → --keep)."""
    from rlcli.mdp.solve.limits import FieldError

    try:
        yield
    except FieldError as exc:
        flag = FLAGS.get(exc.field, exc.field)
        hint = f" (drop {flag})" if exc.droppable else ""
        raise UsageError(f"{flag}: {exc.detail}{hint}") from None


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


def _title(mdp: MDP, what: str) -> str:
    return f"{what} — {mdp.name or mdp.source} (gamma = {mdp.gamma:g})"


def _header(mdp: MDP, what: str) -> str:
    return f"[bold]{escape(what)}[/bold] — {escape(mdp.name or mdp.source)} (gamma = {mdp.gamma:g})"


def _states(mdp: MDP, names: list[str] | None) -> list[int] | None:
    if not names:
        return None
    unknown = [n for n in names if n not in mdp.state_index]
    if unknown:
        raise UsageError(f"--state: no state named {unknown[0]!r}")
    return [mdp.state_index[n] for n in names]


def _print_values(
    mdp: MDP,
    values: np.ndarray,
    shown_policy: np.ndarray,
    title: str,
    exact: list[str] | None = None,
    ties: bool | None = None,
) -> None:
    from rlcli.render import values as view

    if mdp.layout is not None and exact is None:
        console.out.print(view.grid_values(mdp, values, shown_policy, title=title))
        return
    console.out.print(view.values_table(mdp, values, title, shown_policy, exact, ties=ties))


def _emit_document(sections: list, style: Format) -> None:
    from rlcli.render.solution import document

    console.out.print(
        document(sections, style.value), markup=False, highlight=False, soft_wrap=True
    )


def _print_sections(sections: list) -> None:
    from rlcli.render.solution import rich_section

    for sec in sections:
        console.out.print(rich_section(sec, console.out.width))


def _picks(n: int) -> list[int]:
    """Which trace entries a table shows: all up to 11, else the first 10 and the last
    (``--json`` has all; ``--sweeps 2000`` would otherwise print 2000 columns or grids)."""
    if n <= SHOWN_SWEEPS + 1:
        return list(range(n))
    return [*range(SHOWN_SWEEPS), n - 1]


WORK_LINE_LIMIT = 20_000  # --show-work: sweeps × states written out


def _check_work_size(sweeps: int, n_states: int) -> None:
    if sweeps * n_states > WORK_LINE_LIMIT:
        raise UsageError(
            f"--show-work: {sweeps} sweeps × {n_states} states would write "
            f"{sweeps * n_states:,} lines (limit {WORK_LINE_LIMIT:,}); use fewer sweeps or --state"
        )


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
    show_work: ShowWorkOpt = False,
    state: StateOpt = None,
    set_: SetOpt = None,
    format_: FormatOpt = Format.text,
    json: JsonOpt = False,
    answer: AnswerOpt = None,
    tol: TolOpt = None,
) -> None:
    """V_pi and Q_pi of a policy: linear solve, sweeps (--trace), exact fractions or closed form."""
    from rlcli.mdp.solve.runs import run_evaluation
    from rlcli.render import solution as doc
    from rlcli.render.values import ROW_LIMIT
    from rlcli.render.work import evaluation_work

    if show_work and (method is not EvalMethod.iterative or sweeps is None):
        raise UsageError("--show-work writes out sweeps: add --method iterative --sweeps K")
    mdp = load(file, set_)
    pi = policy(mdp, policy_spec)
    only = _states(mdp, state)
    if answer is not None:
        from rlcli.grade.mdp import MDPExercise

        how = "sweeps" if method is EvalMethod.iterative and sweeps else "linear"
        check_answer(MDPExercise(mdp, "evaluate", how, sweeps, in_place, pi), answer, tol, json)
    if show_work:
        assert sweeps is not None
        _check_work_size(sweeps, len(only) if only else mdp.n_states)
    with flags():
        run = run_evaluation(
            mdp, pi, iterative=method is EvalMethod.iterative, sweeps=sweeps, in_place=in_place,
            exact=exact, symbolic=symbolic, keep=_keep(keep, set_, mdp) if symbolic else keep,
            trace=trace or show_work,
        )  # fmt: skip
    ev = run.evaluation
    exact_trace = run.exact_trace or None
    work: list[dict] = []
    if show_work:
        rows = exact_trace or [t.values.tolist() for t in ev.trace]
        pis = _rational_pi(pi) if exact_trace else pi.tolist()
        work = evaluation_work(mdp, rows, pis, bool(exact_trace), in_place, only)
    shown_trace = ev.trace if trace else []
    if json:
        emit(
            doc.values_json(mdp, ev.values, ev.q, pi, run.exact_values, run.exact_q)
            | {"method": run.how, "residual": ev.residual, "sweeps": ev.sweeps or None}
            | {"trace": [
                doc.sweep_json(mdp, t, pi, exact_trace[t.k - 1] if exact_trace else None)
                for t in shown_trace
            ]}
            | ({"work": work} if show_work else {})
        )  # fmt: skip
        return
    title = f"v_pi for policy {policy_spec}"
    if method is EvalMethod.iterative and sweeps is not None:
        title = f"values after {sweeps} sweep(s), policy {policy_spec}"
    picks = _picks(len(shown_trace))
    chosen = [shown_trace[i] for i in picks]
    sections = []
    if chosen:
        values = [exact_trace[t.k - 1] for t in chosen] if exact_trace else None
        name = "exact values after k sweeps" if exact_trace else "values after k sweeps"
        sections.append(doc.sweep_section(mdp, chosen, name, values))
        sections.append(doc.greedy_section(
            mdp, chosen, "greedy w.r.t. v_k",
            [t.greedy for t in chosen],
        ))  # fmt: skip
    sections += [doc.Section(w["title"], w["lines"]) for w in work]
    exact_text = None if run.exact_values is None else [doc.exact_text(x) for x in run.exact_values]
    if format_ is not Format.text:
        table = doc.values_section(
            mdp, ev.values, pi, title, run.exact_values, format_.value, ties=False
        )
        q_sec = doc.q_section(mdp, ev.q, "q_pi(s, a)", exact_q=run.exact_q, style=format_.value)
        head = doc.Section(
            _title(mdp, "policy evaluation"),
            [f"{run.how}; Bellman residual {ev.residual:.2g}"], prose=True,
        )  # fmt: skip
        _emit_document([head, *sections, table, q_sec], format_)
        return
    console.out.print(_header(mdp, "policy evaluation"))
    console.out.print(f"{escape(run.how)}; Bellman residual {ev.residual:.2g}")
    if len(picks) < len(shown_trace):
        console.out.print(f"(showing sweeps 1-{SHOWN_SWEEPS} and {ev.sweeps}; --json has all)")
    if mdp.layout is not None and chosen and not exact_trace:
        _print_grid_sweeps(mdp, [(t.k, t.values, _equi(mdp, t.greedy)) for t in chosen])
        _print_sections(sections[2:])
    else:
        _print_sections(sections)
    _print_values(mdp, ev.values, pi, title, exact_text, ties=False)
    if _wants_q(mdp, show_q):
        q_sec = doc.q_section(mdp, ev.q, "q(s, a)", exact_q=run.exact_q, limit=ROW_LIMIT)
        _print_sections([q_sec])
    else:
        console.out.print("(Q table: --q)", style="dim")


def _rational_pi(pi: np.ndarray) -> list:
    from rlcli.mdp.solve.exact import rational_policy

    return rational_policy(pi)


def _print_grid_sweeps(mdp: MDP, sweeps: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
    """Grid worlds: the values after each sweep as a grid, the greedy arrows under them."""
    from rlcli.render import values as view

    console.out.print("arrows: the actions greedy with respect to each sweep's values (every tie)")
    for k, values, greedy in sweeps:
        console.out.print(view.grid_values(mdp, values, greedy, title=f"values after sweep {k}"))


def _equi(mdp: MDP, ties: np.ndarray) -> np.ndarray:
    from rlcli.mdp.solve.greedy import equiprobable

    return equiprobable(mdp, ties)


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
    sweeps: Annotated[
        int | None,
        typer.Option(
            "--sweeps",
            min=1,
            help="Value iteration: exactly K sweeps from V0 = 0 (any gamma <= 1), the greedy "
            "actions after each; with --exact in fractions.",
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
    show_work: ShowWorkOpt = False,
    state: StateOpt = None,
    set_: SetOpt = None,
    format_: FormatOpt = Format.text,
    json: JsonOpt = False,
    answer: AnswerOpt = None,
    tol: TolOpt = None,
) -> None:
    """V*, Q* and every optimal action: policy iteration (default) or value iteration."""
    from rlcli.mdp.solve.greedy import equiprobable
    from rlcli.mdp.solve.runs import run_solve
    from rlcli.render import solution as doc
    from rlcli.render.values import ROW_LIMIT

    vi = method is SolveMethod.value_iteration
    if show_work and vi and sweeps is None:
        raise UsageError("--show-work with value iteration writes out sweeps: add --sweeps K")
    mdp = load(file, set_)
    pi0 = None if start_policy is None else policy(mdp, start_policy, "--start-policy")
    only = _states(mdp, state)
    if answer is not None:
        from rlcli.grade.mdp import MDPExercise

        how = "sweeps" if vi and sweeps else "policy-iteration"
        check_answer(MDPExercise(mdp, "solve", how, sweeps if vi else None), answer, tol, json)
    if show_work and sweeps is not None:
        _check_work_size(sweeps, len(only) if only else mdp.n_states)
    with flags():
        run = run_solve(
            mdp, value_iteration_method=vi, start=pi0, epsilon=epsilon, sweeps=sweeps,
            exact=exact, symbolic=symbolic, keep=_keep(keep, set_, mdp) if symbolic else keep,
            trace=trace or show_work,
        )  # fmt: skip
    sol = run.solution
    exact_v = sol.exact_values if run.closed_values is None else run.closed_values
    exact_q = sol.exact_q if run.closed_q is None else run.closed_q
    work = _solve_work(mdp, sol, vi, exact, only) if show_work else []
    ties = equiprobable(mdp, sol.optimal)
    swept = vi and sweeps is not None
    steps = sol.trace if (trace or swept) else []
    if json:
        emit(
            doc.values_json(mdp, sol.values, sol.q, sol.policy, exact_v, exact_q)
            | {
                "iterations": sol.iterations,
                "method": sol.method + (" (exact)" if exact else ""),
                "stopping": sol.stopping, "bound": sol.bound, "residual": sol.residual,
                "optimal_actions": doc.ties_json(mdp, sol.optimal),
                "trace": [doc.step_json(mdp, step) for step in steps],
            }
            | ({"stable_since": sol.stable_since} if swept else {})
            | ({"conditions": [doc.condition_json(c) for c in run.conditions]} if symbolic else {})
            | ({"region": doc.region_text(run.region)} if run.region is not None else {})
            | ({"work": work} if show_work else {})
        )  # fmt: skip
        return
    shown = [steps[i] for i in _picks(len(steps))] if vi else steps
    sections = doc.solve_sections(mdp, shown, vi, swept, exact)
    if format_ is Format.text and not vi:
        sections = []  # the text trace of policy iteration is drawn by _print_pi_trace
    v_title, q_title = "v* and every optimal action", "q*(s, a), ★ optimal"
    if swept:
        v_title = f"V_{sweeps}, greedy actions"
        q_title = f"Q from V_{sweeps}, ★ greedy"
    sections += [doc.Section(w["title"], w["lines"]) for w in work]
    name = sol.method + (" in exact rationals" if exact else "")
    summary = (
        f"{sol.iterations} iteration(s); stopped: {sol.stopping}; "
        f"Bellman optimality residual {sol.residual:.2g}"
    )
    if format_ is not Format.text:
        table = doc.values_section(
            mdp, sol.values, ties, v_title, exact_v, format_.value, ties=True
        )
        q_sec = doc.q_section(mdp, sol.q, q_title, sol.optimal, exact_q, format_.value)
        extra = doc.condition_sections(run)
        head = doc.Section(_title(mdp, name), [summary], prose=True)
        _emit_document([head, *sections, table, q_sec, *extra], format_)
        return
    console.out.print(_header(mdp, name))
    console.out.print(escape(summary), soft_wrap=True)
    if steps and not vi:
        _print_pi_trace(mdp, steps, start_policy)
    if len(steps) > SHOWN_SWEEPS + 1 and vi:
        console.out.print(
            f"(showing sweeps 1-{SHOWN_SWEEPS} and {steps[-1].index}; --json has all)"
        )
    if swept and mdp.layout is not None and not exact:
        shown = [steps[i] for i in _picks(len(steps))]
        _print_grid_sweeps(mdp, [(st.index, st.values, st.policy) for st in shown])
        sections = sections[2:]  # the grids replace the sweep and greedy tables
    _print_sections(sections)
    if swept:
        console.out.print(f"the greedy policy has not changed since sweep {sol.stable_since}")
    exact_text = None if exact_v is None else [doc.exact_text(x) for x in exact_v]
    _print_values(mdp, sol.values, ties, v_title, exact_text, ties=True)
    for sec in doc.condition_sections(run):
        console.out.print(Text("\n".join(sec.rows)))  # type: ignore[arg-type]
    if _wants_q(mdp, show_q):
        q_sec = doc.q_section(mdp, sol.q, q_title, sol.optimal, exact_q, limit=ROW_LIMIT)
        _print_sections([q_sec])
    else:
        console.out.print("(Q table: --q)", style="dim")


def _solve_work(mdp: MDP, sol: Any, vi: bool, exact: bool, only: list[int] | None) -> list[dict]:
    """Worked steps: each value-iteration backup, or each improvement step's q table."""
    from rlcli.render.work import policy_iteration_work, value_iteration_work

    worker = value_iteration_work if vi else policy_iteration_work
    return worker(mdp, sol.trace, exact, only)


def _print_pi_trace(mdp: MDP, steps: list, start: str | None) -> None:
    from rlcli.render import values as view

    if start is None:
        start = "a proper policy from a reachability search" if mdp.gamma >= 1 else "first actions"
    else:
        start = f"--start-policy {start}"
    console.out.print(
        f"pi_0: {escape(start)}; each iteration evaluates pi_i exactly, then improves greedily"
    )
    for i, step in enumerate(steps):
        changed = ", ".join(mdp.states[s] for s in step.changed[:20]) or "none (stable)"
        title = f"iteration {i + 1}: v of pi_{i}"
        if mdp.layout is not None:
            console.out.print(view.grid_values(mdp, step.values, step.policy, title=title))
        else:
            console.out.print(view.values_table(mdp, step.values, title, step.policy))
        console.out.print(f"greedy improvement changes: {escape(changed)}", soft_wrap=True)


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
    console.out.print(render(system, format_.value), markup=False, highlight=False, soft_wrap=True)
