"""Given experience for ``rlcli replay``: episodes and single transitions, read and checked.

Tokens are separated by spaces or commas; names start with a letter or _ and go on with
letters, digits, _, - and primes (``A′``, ``s-1``, ``état``), rewards are numbers or fractions
(a token starting with a digit, sign, point or parenthesis). Prediction form
``S0 R1 S1 R2 ...``; control form ``S A R S A R ... S_T``. A trailing reward means "then a
terminal state"; an episode may end with a state and an action (the next action a SARSA
update needs). A transition is one step: ``s a r s'``,
``s r s'``, ``s a r`` (then terminal) or ``s a r s' a'``. See DESIGN.md "Experience".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from rlcli.errors import MDPFileError, Problem, RlcliError
from rlcli.replay.numbers import NAME, NAME_RULE, Value, number

MAX_FILE_BYTES = 1_000_000
MAX_TOKENS = 50_000  # over all episodes and transitions (exam data is far smaller)
TERMINAL = "terminal"  # the implicit terminal state after a trailing reward


class ExperienceError(MDPFileError):
    """Every problem found in the given experience, each naming its episode and token.

    An input file's problems, as an MDP file's are: the CLI prints them as ``FILE:LINE:
    path: message`` lines and lists them under ``problems`` in the ``--json`` error."""


@dataclass(frozen=True)
class Step:
    """One experienced step (S_t, A_t, R_{t+1}, S_{t+1}, A_{t+1}); ``next_state`` is
    ``TERMINAL`` (value 0) after a trailing reward; ``next_action`` None when not given."""

    state: str
    action: str | None
    reward: Value
    next_state: str
    next_action: str | None
    token: int  # 1-based position of S_t in its episode


@dataclass(frozen=True)
class Episode:
    """A given episode (or a single transition): its steps and where it came from."""

    label: str  # "episode 2" or "transition 1"
    steps: tuple[Step, ...]
    complete: bool  # ends in a terminal state

    @cached_property
    def states(self) -> list[str]:
        return [s.state for s in self.steps] + [self.steps[-1].next_state]

    @cached_property
    def rewards(self) -> list[Value]:
        return [s.reward for s in self.steps]

    def visits(self, first_visit: bool) -> list[tuple[int, Step]]:
        """The steps (t, S_t, ...) Monte Carlo learns from: every step, or with ``first_visit``
        only the first visit to each state in the episode (S&B §5.1)."""
        seen: set[str] = set()
        out = []
        for t, st in enumerate(self.steps):
            if not (first_visit and st.state in seen):
                out.append((t, st))
            seen.add(st.state)
        return out


@dataclass
class Experience:
    """What a ``replay`` command works on, plus the optional settings the file gives."""

    episodes: list[Episode]
    transitions: list[Episode]
    terminal: set[str]
    states: list[str]  # non-terminal and terminal names, in order of first appearance
    actions: dict[str, list[str]]  # per state, in order of first appearance
    source: str
    gamma: Value | None = None
    alpha: Value | None = None
    init: Any = None  # raw ``init`` from the file
    extra: dict[str, Any] = field(default_factory=dict)  # other keys (policies, ...)

    @property
    def control(self) -> bool:
        return any(s.action is not None for e in self.all for s in e.steps)

    @property
    def all(self) -> list[Episode]:
        return self.episodes + self.transitions

    @property
    def n_steps(self) -> int:
        return sum(len(e.steps) for e in self.all)

    def in_floats(self) -> Experience:
        """The same experience with float rewards (for long inputs, see ``run.EXACT_STEPS``)."""

        def conv(eps: list[Episode]) -> list[Episode]:
            return [
                replace(e, steps=tuple(replace(st, reward=float(st.reward)) for st in e.steps))
                for e in eps
            ]

        return replace(self, episodes=conv(self.episodes), transitions=conv(self.transitions))


def _is_name(tok: str) -> bool:
    return bool(NAME.match(tok))


def _not_a_name(tok: str) -> str:
    """Why a token is not a name, for a message."""
    try:
        number(tok, "token")
    except RlcliError:
        return f"{tok!r} is not a name ({NAME_RULE}) nor a number"
    return "got a number"


def parse_tokens(
    tokens: list[str], label: str, terminal: set[str], single: bool = False
) -> Episode:
    """The steps of one episode (``single``: one transition). Raises ``ValueError`` with
    the token position and what was expected."""

    def where(i: int) -> str:
        if i >= len(tokens):
            return f"after token {i}"
        tok = tokens[i] if len(tokens[i]) <= 30 else tokens[i][:27] + "..."
        return f"token {i + 1} ({tok!r})"

    def name_at(i: int, what: str) -> str:
        if i >= len(tokens):
            raise ValueError(f"{where(i)}: expected {what}, but the {label.split()[0]} ends")
        if not _is_name(tokens[i]):
            raise ValueError(f"{where(i)}: expected {what} (a name), {_not_a_name(tokens[i])}")
        return tokens[i]

    def reward_at(i: int) -> Value:
        if i >= len(tokens):
            raise ValueError(f"{where(i)}: expected a reward, but the {label.split()[0]} ends")
        if _is_name(tokens[i]):
            raise ValueError(f"{where(i)}: expected a reward (a number), got a name")
        try:
            return number(tokens[i], "reward")
        except RlcliError as exc:
            raise ValueError(
                f"{where(i)}: expected a reward: {str(exc).split(': ', 2)[-1]}"
            ) from None

    if not tokens:
        raise ValueError("empty: expected a state name first")
    control = len(tokens) > 1 and _is_name(tokens[1])
    width = 3 if control else 2
    raw: list[tuple[str, str | None, Value, int]] = []
    i = 0
    next_action: str | None = None
    complete = False
    state = name_at(0, "a state")
    while True:
        if state in terminal:
            if i + 1 < len(tokens):
                raise ValueError(
                    f"{where(i)}: {state} is terminal, but the {label.split()[0]} goes on"
                )
            complete = True
            break
        if i + 1 >= len(tokens):
            break  # ends in a non-terminal state: cut
        action = name_at(i + 1, "an action") if control else None
        if control and i + 2 >= len(tokens):
            next_action = action  # "... S A": the next action of the last step
            break
        reward = reward_at(i + width - 1)
        raw.append((state, action, reward, i + 1))
        i += width
        if i >= len(tokens):
            complete = True
            state = TERMINAL
            break
        state = name_at(i, "the next state")
        if single and raw:
            if i + 1 < len(tokens):
                if not control:
                    raise ValueError(f"{where(i + 1)}: a transition is one step, s r s'")
                next_action = name_at(i + 1, "the next action")
                if i + 2 < len(tokens):
                    raise ValueError(f"{where(i + 2)}: a transition is one step, s a r s' [a']")
            complete = state in terminal
            break
    if not raw and control and len(tokens) == 2:
        raise ValueError(
            f"{where(2)}: expected a reward after {tokens[0]} {tokens[1]} (control "
            "form S A R S ...; prediction form is S R S ...)"
        )
    if not raw:
        raise ValueError(
            f"{where(len(tokens) - 1 if tokens else 0)}: no step (a state, "
            f"{'an action, ' if control else ''}a reward and the next state)"
        )
    steps = []
    for j, (s, a, r, pos) in enumerate(raw):
        nxt = raw[j + 1][0] if j + 1 < len(raw) else state
        nxt_a = raw[j + 1][1] if j + 1 < len(raw) else next_action
        steps.append(Step(s, a, r, nxt, nxt_a, pos))
    return Episode(label, tuple(steps), complete)


def _mixed_forms(episodes: list[Episode]) -> str | None:
    """The first episode written in the other form than the first one, if any."""
    control = episodes[0].steps[0].action is not None
    for ep in episodes[1:]:
        if (ep.steps[0].action is not None) != control:
            first, other = ("control (S A R S ...)", "prediction (S R S ...)")[
                :: 1 if control else -1
            ]
            return (
                f"{ep.label}, token 2: written in {other} form, but {episodes[0].label} is in "
                f"{first} form; use one form throughout"
            )
    return None


def build(
    items: list[tuple[str, str, int | None, str]],
    terminal: set[str],
    source: str,
    earlier: list[Problem] | None = None,
) -> tuple[list[Episode], list[Episode]]:
    """Parse (kind, text, line, path) items: kind ``episode`` or ``transition``; raise every
    problem found (with ``earlier`` ones) at once."""
    problems: list[Problem] = list(earlier or [])
    episodes: list[Episode] = []
    transitions: list[Episode] = []
    total = 0
    counts = {"episode": 0, "transition": 0}
    for kind, text, line, path in items:
        counts[kind] += 1
        label = f"{kind} {counts[kind]}"
        tokens = [t for t in text.replace(",", " ").split() if t]  # text ≤ MAX_FILE_BYTES
        total += len(tokens)
        if total > MAX_TOKENS:
            raise ExperienceError(
                [Problem(source, line, path, f"more than {MAX_TOKENS} tokens in all")]
            )
        try:
            ep = parse_tokens(tokens, label, terminal, single=kind == "transition")
        except ValueError as exc:
            problems.append(Problem(source, line, path, f"{label}, {exc}"))
            continue
        (episodes if kind == "episode" else transitions).append(ep)
    if not problems and episodes + transitions:
        mixed = _mixed_forms(episodes + transitions)
        if mixed:
            problems.append(Problem(source, None, "", mixed))
    if problems:
        raise ExperienceError(sorted(problems, key=lambda p: p.line or 0))
    return episodes, transitions


def _names(episodes: list[Episode]) -> tuple[list[str], dict[str, list[str]]]:
    states: dict[str, None] = {}
    actions: dict[str, dict[str, None]] = {}
    for ep in episodes:
        for st in ep.steps:
            states.setdefault(st.state)
            if st.action is not None:
                actions.setdefault(st.state, {}).setdefault(st.action)
            if st.next_action is not None:
                actions.setdefault(st.next_state, {}).setdefault(st.next_action)
        states.setdefault(ep.steps[-1].next_state)
    return list(states), {s: list(a) for s, a in actions.items()}


def from_text(
    episodes: str | None, transitions: str | None, terminal: set[str], name: str | None = None
) -> Experience:
    """Inline experience: episodes (or transitions) separated by ``;`` or new lines; ``name``
    is what messages call it (default: ``--episodes`` or ``--transitions``)."""
    items: list[tuple[str, str, int | None, str]] = []
    for kind, text, flag in (
        ("episode", episodes, "--episodes"),
        ("transition", transitions, "--transitions"),
    ):
        if text is None:
            continue
        if len(text) > MAX_FILE_BYTES:
            raise ExperienceError(
                [Problem(name or flag, None, "", f"longer than {MAX_FILE_BYTES} characters")]
            )
        for part in text.replace("\n", ";").split(";"):
            if part.strip():
                items.append((kind, part, None, ""))
    if not items:
        raise ExperienceError([Problem("experience", None, "", "no episodes or transitions given")])
    source = name or ("--episodes" if episodes is not None else "--transitions")
    eps, trs = build(items, terminal, source)
    states, actions = _names(eps + trs)
    return Experience(eps, trs, terminal, states, actions, source)


KNOWN_KEYS = (
    "gamma",
    "alpha",
    "init",
    "terminal",
    "episodes",
    "transitions",
    "policy",
    "target",
    "behaviour",
    "behavior",
)


def from_file(path: Path, extra_terminal: set[str]) -> Experience:
    """A YAML (or JSON) experience file, checked with line numbers."""
    from rlcli.mdp.read.source import read_text

    file = str(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size > MAX_FILE_BYTES:
        raise ExperienceError(
            [
                Problem(
                    file,
                    None,
                    "",
                    f"{size} bytes; experience files are limited to {MAX_FILE_BYTES}",
                )
            ]
        )
    return loads(read_text(path), file, extra_terminal)


def loads(text: str, file: str, extra_terminal: set[str]) -> Experience:
    """An experience file's text (named ``file`` in messages), checked with line numbers."""
    from rlcli.mdp.read.source import line_of, parse_yaml

    data = parse_yaml(text, file)
    if not isinstance(data, Mapping):
        raise ExperienceError(
            [Problem(file, 1, "", "expected a mapping with 'episodes' or 'transitions'")]
        )
    problems = [
        Problem(file, line_of(data, k), str(k), f"unknown key (known: {', '.join(KNOWN_KEYS)})")
        for k in data
        if k not in KNOWN_KEYS
    ]
    terminal = set(extra_terminal)
    raw_terminal = data.get("terminal", [])
    if isinstance(raw_terminal, str):
        raw_terminal = [raw_terminal]
    if not isinstance(raw_terminal, list) or not all(
        isinstance(t, str) and _is_name(t) for t in raw_terminal
    ):
        problems.append(
            Problem(file, line_of(data, "terminal"), "terminal", "expected a list of state names")
        )
    else:
        terminal |= set(raw_terminal)
    items: list[tuple[str, str, int | None, str]] = []
    for key, kind in (("episodes", "episode"), ("transitions", "transition")):
        seq = data.get(key)
        if seq is None:
            continue
        if not isinstance(seq, list):
            problems.append(Problem(file, line_of(data, key), key, "expected a list"))
            continue
        for i, item in enumerate(seq):
            if isinstance(item, list):
                item = " ".join(str(x) for x in item)
            if not isinstance(item, str):
                problems.append(
                    Problem(
                        file,
                        line_of(seq, i),
                        f"{key}[{i}]",
                        "expected a line of tokens such as 'A 0 B 1'",
                    )
                )
                continue
            items.append((kind, item, line_of(seq, i), f"{key}[{i}]"))
    if not items and not problems:
        problems.append(Problem(file, 1, "", "no 'episodes' or 'transitions'"))
    settings: dict[str, Value] = {}
    for key in ("gamma", "alpha"):
        if key in data:
            try:
                settings[key] = number(str(data[key]), key)
            except RlcliError as exc:
                problems.append(Problem(file, line_of(data, key), key, str(exc).split(": ", 1)[-1]))
    eps, trs = build(items, terminal, file, problems)
    states, actions = _names(eps + trs)
    extra = {k: data[k] for k in ("policy", "target", "behaviour", "behavior") if k in data}
    return Experience(
        eps,
        trs,
        terminal,
        states,
        actions,
        file,
        settings.get("gamma"),
        settings.get("alpha"),
        data.get("init"),
        extra,
    )
