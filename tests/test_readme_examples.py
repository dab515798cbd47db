"""README.md shows real output: every ``<!-- RUN: CMD [LINES a:b] -->`` console block is rerun
here at a fixed terminal width, and every cheap command README shows elsewhere still runs.

Blocks from exact arithmetic (``mdp``, ``practice``, ``replay``, ``derive``) must print
exactly what README shows (trailing spaces aside, which Markdown does not show). Blocks whose
numbers come from float learning (``estimate``, ``control``, ``train``) are compared only where
they cannot depend on the CPU: the text lines, the tables' row labels (learner names), never a
learned number, a plot or a wall time. Each runs in about a second on an idle machine.

``python tests/test_readme_examples.py --write`` regenerates the RUN blocks in place.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.mdp.read.load import load_mdp

README = Path(__file__).resolve().parent.parent / "README.md"
WIDTH = 100
BLOCK = re.compile(
    r"<!-- RUN: (?P<cmd>.*?)(?: LINES (?P<a>\d+):(?P<b>\d+))? -->\n"
    r"```console\n\$ (?P<shown>[^\n]*)\n(?P<body>.*?)\n?```\n<!-- END -->",
    re.S,
)
LEARNING = ("estimate", "control", "train")  # float learning: only the stable lines compared


class Block(NamedTuple):
    cmd: str
    lines: slice | None
    shown: str
    body: list[str]
    span: tuple[int, int]


def blocks(text: str | None = None) -> list[Block]:
    text = README.read_text(encoding="utf-8") if text is None else text
    return [
        Block(
            m["cmd"],
            slice(int(m["a"]), int(m["b"])) if m["a"] else None,
            m["shown"],
            m["body"].split("\n") if m["body"] else [],
            m.span(),
        )
        for m in BLOCK.finditer(text)
    ]


def run(cmd: str, stdin: str | None = None):
    """Run ``rlcli ARGS`` in-process at WIDTH columns."""
    args = shlex.split(cmd)
    assert args[0] == "rlcli", cmd
    return CliRunner().invoke(
        app, args[1:], input=stdin, env={"COLUMNS": str(WIDTH), "FORCE_COLOR": None}
    )


def printed(block: Block, stdout: str) -> list[str]:
    """The output lines as README shows them: the LINES slice, trailing spaces removed."""
    lines = [line.rstrip() for line in stdout.rstrip("\n").split("\n")]
    return lines[block.lines] if block.lines else lines


RESIDUAL = re.compile(r"residual (?P<r>[-+0-9.e]+)")


def round_off_residual(line: str) -> str:
    """A float solve's residual below 1e-12 is round-off, whatever digits a CPU gives it
    (0 here, 2.2e-16 on another BLAS); everything else is compared as printed."""

    def tiny(m: re.Match) -> str:
        return "residual (round-off)" if abs(float(m["r"])) < 1e-12 else m[0]

    return RESIDUAL.sub(tiny, line.rstrip())


def expected_exit(block: Block) -> int:
    """An ``--answer`` block with a ✗ exits 1 (the documented 'something wrong'); else 0."""
    return (
        1
        if "--answer" in block.cmd and any(line.lstrip().startswith("✗") for line in block.body)
        else 0
    )


TABLE_ROW = ("│", "┃")
TABLE_RULE = tuple("┏┡┌└├┗╭╰┣")
PLOT = set("│●◆■▲▼○◇└─┼┤")


def stable_view(lines: list[str]) -> list[str]:
    """What a learning run prints independently of the CPU's float rounding: the text lines
    as they are, each table reduced to its row labels (the first column, wrapped label lines
    joined); table borders, cells of numbers and plot lines (a number axis, then glyphs) are
    dropped."""
    view: list[str] = []
    labels: list[str] = []
    for line in lines:
        if line.startswith(TABLE_ROW):
            cell = line[1:].split(line[0], 1)[0].strip()
            if line[0] == "│" and cell:
                labels.append(cell)
            continue
        if labels:
            view.append("rows: " + " ".join(labels))
            labels = []
        if line.startswith(TABLE_RULE) or PLOT & set(line):
            continue
        view.append(" ".join(line.split()))
    if labels:
        view.append("rows: " + " ".join(labels))
    return view


def test_readme_has_every_run_block_and_each_shows_its_command():
    found = blocks()
    assert len(found) == 14
    assert README.read_text(encoding="utf-8").count("<!-- RUN:") == len(found)
    for block in found:
        assert block.shown == block.cmd


def test_the_quick_start_is_install_then_the_first_example():
    text = README.read_text(encoding="utf-8")
    assert (
        "```bash\npython3 -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]' "
        "&& rlcli mdp solve problems/recycling-robot.yaml\n```" in text
    )
    assert "```bash\npython -m pytest\n```" in text
    assert blocks()[0].cmd == "rlcli mdp solve problems/recycling-robot.yaml"


EXACT = [b for b in blocks() if shlex.split(b.cmd)[1] not in LEARNING]
FLOAT = [b for b in blocks() if shlex.split(b.cmd)[1] in LEARNING]


@pytest.mark.parametrize("block", EXACT, ids=lambda b: b.cmd[6:50])
def test_exact_block_is_what_the_command_prints(block: Block):
    result = run(block.cmd)
    assert result.exit_code == expected_exit(block), result.output
    got = [round_off_residual(line) for line in printed(block, result.stdout)]
    assert got == [round_off_residual(line) for line in block.body]


@pytest.mark.parametrize("block", FLOAT, ids=lambda b: b.cmd[6:50])
def test_learning_block_shows_the_stable_lines_the_command_prints(block: Block):
    result = run(block.cmd)
    assert result.exit_code == 0, result.output
    shown = stable_view(block.body)
    assert any(v.startswith("rows: ") for v in shown), "the block shows no table"
    # the whole output, not the LINES slice: a wrap elsewhere may move the cut
    assert stable_view(printed(block._replace(lines=None), result.stdout))[: len(shown)] == shown


def test_round_off_residual_hides_only_round_off():
    assert round_off_residual("residual 0") == round_off_residual("residual 2.2e-16")
    assert round_off_residual("residual 1.4") == "residual 1.4"
    assert round_off_residual("residual 1e-3") != round_off_residual("residual 0")


def test_stable_view_keeps_labels_and_text_and_drops_numbers():
    lines = [
        "Cliff walking · 50 runs",
        "┏━━━━━━━━━┳━━━━━━┓",
        "┃ learner ┃  RMS ┃",
        "┡━━━━━━━━━╇━━━━━━┩",
        "│ SARSA   │ 16.9 │",
        "│ α=0.1   │      │",
        "│ Q-learn │  7.1 │",
        "└─────────┴──────┘",
        "-20.5 │   ●●●",
        "      │ ●    ",
    ]
    assert stable_view(lines) == ["Cliff walking · 50 runs", "rows: SARSA α=0.1 Q-learn"]
    changed = [line.replace("16.9", "17.0").replace("●●●", "● ●") for line in lines]
    assert stable_view(changed) == stable_view(lines)
    renamed = [line.replace("SARSA", "SARSB") for line in lines]
    assert stable_view(renamed) != stable_view(lines)


# Commands README shows outside RUN blocks (`$ ...` lines, the replay/calc table, prose) that
# finish in well under a second, with their input on stdin and their documented exit code.
ELSEWHERE = [
    (
        "rlcli practice policy-evaluation --seed 3",
        "sweeps: {1: {A: 2, B: 1, C: 0}, 2: {A: 5/2, B: 1, C: 1/2}}",
        0,
    ),
    (
        "rlcli practice q-learning --seed 3",
        "q: {A: {left: 5/8, right: -1/4}, B: {left: 0, right: 1/2}}",
        0,
    ),
    (
        "rlcli practice td0 sarsa q-learning mc-first-visit --count 8 --seed 1"
        " --worksheet week6.tex",
        None,
        0,
    ),
    ('rlcli replay td "A 0 B 1" --alpha 1/2', None, 0),
    ('rlcli replay td "A 0 B 0; B 1; B 0" --batch', None, 0),
    ('rlcli replay mc "A 1 A 2 B 3; B 1 A 1" --visit first', None, 0),
    ('rlcli replay sarsa "A right 2 B left 0 T" --terminal T --alpha 1/2', None, 0),
    ('rlcli replay returns "A 1 B 2 C 3" --gamma 1/2 --init B=2,C=4 --lambda 1/2', None, 0),
    ("rlcli calc importance-sampling --returns 3,1,2 --ratios 2,0,4", None, 0),
    ('rlcli calc reinforce --logits "s1: L=0, R=ln(3)" --trajectory "s1 R 1" --lr 1/2', None, 0),
    ("rlcli calc gae --rewards 1,0,2 --values 1/2,1,0,1 --gamma 9/10 --lambda 1/2", None, 0),
    ("rlcli calc ppo-clip --ratio 0.7,1.5 --advantage 1,-1 --eps 0.2", None, 0),
    ("rlcli calc kl --p 1/2,1/2 --q 1/4,3/4 --samples 0,1", None, 0),
    ("rlcli calc grpo --rewards 1,0,0,1 --std sample", None, 0),
    ("rlcli problems list", None, 0),
    ("rlcli problems copy recycling-robot", None, 0),
    ("rlcli mdp show student-mdp", None, 0),
    ("rlcli mdp solve blackjack", None, 0),
]


@pytest.mark.parametrize(("cmd", "stdin", "code"), ELSEWHERE, ids=lambda x: str(x)[6:50])
def test_command_shown_elsewhere_runs(cmd, stdin, code, tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    assert cmd in text or cmd.replace('"', "'") in text
    if stdin is not None:
        assert f"echo '{stdin}' | {cmd}" in text
    monkeypatch.chdir(tmp_path)
    result = run(cmd, stdin)
    assert result.exit_code == code, result.output
    if "--answer" in cmd or stdin is not None:
        assert "✗" not in result.stdout


def test_blackjack_value_quoted_in_readme_is_v_star_over_the_start_distribution():
    # README: "v* averaged over the file's start distribution is −0.0431"
    assert "is −0.0431" in README.read_text(encoding="utf-8")
    mdp = load_mdp(README.parent / "problems" / "blackjack.yaml")
    result = run("rlcli mdp solve blackjack --json")
    assert result.exit_code == 0, result.output
    values = json.loads(result.stdout)["values"]
    assert sum(p * values[s] for p, s in zip(mdp.start, mdp.states, strict=True)) == pytest.approx(
        -0.0431, abs=5e-5
    )


def test_gymnasium_import_examples(tmp_path, monkeypatch):
    pytest.importorskip("gymnasium")
    text = README.read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for cmd in (
        "rlcli mdp import FrozenLake-v1 --kwargs map_name=8x8 -o lake8.yaml",
        "rlcli mdp solve lake8.yaml",
    ):
        assert f"$ {cmd}\n" in text
        result = run(cmd)
        assert result.exit_code == 0, result.output
    cmd = "rlcli mdp import Taxi-v4 -o taxi.yaml --json"
    shown = re.search(rf"\$ {re.escape(cmd)}\n(?P<out>\{{.*?\n\}})\n", text, re.S)
    assert shown, "README shows the Taxi import's JSON"
    result = run(cmd)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip("\n") == shown["out"]


def test_python_api_snippet_runs(monkeypatch):
    text = README.read_text(encoding="utf-8")
    snippet = re.search(r"## Python API\n\n```python\n(?P<code>.*?)```", text, re.S)
    assert snippet, "README has a Python API snippet"
    monkeypatch.chdir(README.parent)
    namespace: dict = {}
    exec(snippet["code"], namespace)
    mdp, pi = namespace["mdp"], namespace["pi"]
    assert tuple(mdp.states) == ("high", "low")
    # overrides alpha = 0.7: the pair (high, search) goes to high w.p. 7/10, to low w.p. 3/10
    assert mdp.P.toarray()[0].tolist() == pytest.approx([0.7, 0.3])
    # cautious: search in high, recharge in low; pairs are high·search, high·wait, low·search,
    # low·wait, low·recharge
    assert pi.tolist() == [1, 0, 0, 0, 1]


def _regenerate() -> None:
    """Rewrite every RUN block of README.md with today's output at WIDTH columns."""
    text = README.read_text(encoding="utf-8")
    for block in reversed(blocks(text)):
        result = run(block.cmd)
        marker = block.cmd + (
            f" LINES {block.lines.start}:{block.lines.stop}" if block.lines else ""
        )
        body = "\n".join([f"$ {block.cmd}", *printed(block, result.stdout)])
        new = f"<!-- RUN: {marker} -->\n```console\n{body}\n```\n<!-- END -->"
        text = text[: block.span[0]] + new + text[block.span[1] :]
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        _regenerate()
