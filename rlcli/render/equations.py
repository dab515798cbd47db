"""Bellman equation systems as text, LaTeX or Markdown."""

from __future__ import annotations

from typing import Any

from rlcli.mdp.solve.equations import BellmanSystem
from rlcli.render.values import tex_text

# Greek parameter names print as letters, except pi: in these equations π is the policy
GREEK = frozenset(
    ["alpha", "beta", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
     "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"]
)  # fmt: skip


def symbol_tex(name: str) -> str:
    """A parameter's LaTeX: one letter as is, a Greek name as its letter (\\alpha), a
    letter with a subscript as such (r_search → r_{\\mathrm{search}}), any other name
    upright and escaped (lam → \\mathrm{lam}, pi → \\mathrm{pi}, my_p → \\mathrm{my\\_p})."""
    if name == "gamma":
        return r"\gamma"
    if len(name) == 1 and name.isalpha():
        return name
    if name in GREEK:
        return "\\" + name
    base, sep, sub = name.partition("_")
    if sep and sub and ((len(base) == 1 and base.isalpha()) or base in GREEK):
        return symbol_tex(base) + "_{" + symbol_tex(sub) + "}"  # r_search → r_{\mathrm{search}}
    return r"\mathrm{" + tex_text(name) + "}"


def _latex_names(system: BellmanSystem) -> dict[Any, str]:
    """v(high) → v_\\pi(\\text{high}), v*(high) → v_*(\\text{high}); parameters by
    ``symbol_tex``."""
    sub = r"v_{*}" if system.kind == "optimality" else r"v_{\pi}"
    names = {sym: symbol_tex(name) for name, sym in system.symbols.items()}
    return names | {
        sym: sub + r"(\text{" + tex_text(state) + "})" for state, sym in system.unknowns.items()
    }


def equation_lines(system: BellmanSystem, style: str) -> list[str]:
    """One line per state's equation, then the terminal states' v = 0."""
    import sympy as sp

    if style == "text":
        lines = [
            f"{sp.sstr(eq.lhs)} = {_text_rhs(eq, choices)}"
            for eq, choices in zip(system.equations, system.choices, strict=True)
        ]
        name = "v*" if system.kind == "optimality" else "v"
        lines += [f"{name}({t}) = 0  (terminal)" for t in system.terminal]
        return lines
    names = _latex_names(system)
    latex = [
        f"{sp.latex(eq.lhs, symbol_names=names)} = {sp.latex(eq.rhs, symbol_names=names)}"
        for eq in system.equations
    ]
    sub = r"v_{*}" if system.kind == "optimality" else r"v_{\pi}"
    latex += [sub + r"(\text{" + tex_text(t) + "}) = 0" for t in system.terminal]
    if style == "latex":
        return (
            [r"\begin{aligned}"]
            + [line.replace(" = ", " &= ", 1) + r" \\" for line in latex]
            + [r"\end{aligned}"]
        )
    return [f"$$ {line} $$" for line in latex]


def _text_rhs(eq: Any, choices: list[tuple[str, Any]]) -> str:
    """The right-hand side as text; a max lists its terms by action, in file order:
    max(search: ..., wait: ...)."""
    import sympy as sp

    if len(choices) < 2:
        return sp.sstr(eq.rhs)
    return "max(" + ", ".join(f"{a}: {sp.sstr(t)}" for a, t in choices) + ")"


def render(system: BellmanSystem, style: str) -> str:
    what = (
        "Bellman optimality equations"
        if system.kind == "optimality"
        else "Bellman expectation equations"
    )
    symbols = ", ".join(system.symbols) or "none"
    head = {
        "text": f"{what} (symbols: {symbols})",
        "markdown": f"**{what}** (symbols: {symbols})\n",
        "latex": f"% {what} (symbols: {symbols})",
    }[style]
    return "\n".join([head, *equation_lines(system, style)])
