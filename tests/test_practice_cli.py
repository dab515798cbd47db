"""Issue 13: ``rlcli practice`` end to end: piped answers graded and diagnosed with the
right exit code, --json, seeds, worksheets (Markdown, LaTeX) that never overwrite files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from fractions import Fraction as F

import pytest
import yaml
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.practice.topics import generate

runner = CliRunner()


def synchronous_sweeps(text: str, gamma_override: F | None = None, k: int = 2) -> list[dict]:
    """Iterative policy evaluation of policy pi from V0 = 0, straight from the YAML."""
    data = yaml.safe_load(text)
    gamma = F(str(data["gamma"])) if gamma_override is None else gamma_override
    pol = data["policies"]["pi"]
    v = {s: F(0) for s in data["states"]}
    out = []
    for _ in range(k):
        new = dict(v)
        for s, acts in data["transitions"].items():
            total = F(0)
            for a, spec in acts.items():
                prob = F(1, len(acts)) if pol == "uniform" else F(int(pol[s] == a))
                for o in spec if isinstance(spec, list) else [spec]:
                    total += prob * F(str(o.get("p", 1))) * (o["r"] + gamma * v[o["next"]])
            new[s] = total
        v = new
        out.append(v)
    return out


def as_answer(sweeps: list[dict]) -> str:
    rows = [", ".join(f"{s}: {x}" for s, x in v.items() if s != "T") for v in sweeps]
    return "sweeps:\n" + "".join(f"  {k}: {{{row}}}\n" for k, row in enumerate(rows, 1))


def _discounted_seed() -> int:
    """A policy-evaluation seed with gamma = 1/2 where forgetting gamma changes V2."""
    for seed in range(100):
        text = generate("policy-evaluation", seed).files["exercise.yaml"]
        if "gamma: 1/2" in text and synchronous_sweeps(text) != synchronous_sweeps(text, F(1)):
            return seed
    raise AssertionError("no such seed")


def test_no_topic_lists_the_topics():
    res = runner.invoke(app, ["practice"])
    assert res.exit_code == 0
    for topic in ("policy-evaluation", "value-iteration", "policy-iteration", "bellman-equations"):
        assert topic in res.output


def test_unknown_topic_exit_2():
    res = runner.invoke(app, ["practice", "no-such-topic"])
    assert res.exit_code == 2 and "no-such-topic" in res.output


def test_piped_right_and_wrong_answers():
    seed = _discounted_seed()
    text = generate("policy-evaluation", seed).files["exercise.yaml"]
    right = runner.invoke(app, ["practice", "policy-evaluation", "--seed", str(seed)],
                          input=as_answer(synchronous_sweeps(text)))  # fmt: skip
    assert right.exit_code == 0, right.output
    assert "6 right, 0 wrong" in right.output
    assert "worked solution (rlcli mdp evaluate exercise.yaml -p pi" in right.output
    assert "sweep 2:" in right.output
    assert "diagnosis" not in right.output
    wrong = runner.invoke(app, ["practice", "policy-evaluation", "--seed", str(seed)],
                          input=as_answer(synchronous_sweeps(text, F(1))))  # fmt: skip
    assert wrong.exit_code == 1
    assert "✗" in wrong.output
    assert "diagnosis: γ forgotten" in wrong.output
    assert "your answer" not in wrong.output  # no TTY: no prompt drawn


def test_malformed_piped_answer_exit_2():
    res = runner.invoke(app, ["practice", "bellman-equations", "--seed", "1"], input="A=x\n")
    assert res.exit_code == 2 and "values.A" in res.output


def test_same_seed_same_bytes():
    runs = [runner.invoke(app, ["practice", "value-iteration", "--seed", "4"], input="A=1\n")
            for _ in range(2)]  # fmt: skip
    assert runs[0].output == runs[1].output and runs[0].exit_code in (0, 1)


def test_json_prints_exercise_and_solution():
    res = runner.invoke(app, ["practice", "policy-iteration", "--seed", "2", "--json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["topic"] == "policy-iteration" and doc["seed"] == 2
    assert yaml.safe_load(doc["files"]["exercise.yaml"])["states"] == ["A", "B", "C", "T"]
    assert set(doc["solution"]) == {"values", "policy"}
    assert doc["work"] and doc["command"] == "rlcli mdp solve exercise.yaml --exact"


def test_markdown_worksheet_data_files_and_no_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["practice", "policy-evaluation", "bellman-equations", "--count", "3", "--seed", "9",
            "--worksheet", "ws.md"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ws-01.yaml", "ws-02.yaml", "ws-03.yaml", "ws-solutions.md", "ws.md"]
    sheet = (tmp_path / "ws.md").read_text()
    assert sheet.count("## Exercise") == 3 and "ws-02.yaml" in sheet
    assert "sweep 1:" in (tmp_path / "ws-solutions.md").read_text()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # deterministic
    # a student checks exercise 1 with its data file, answering with independent sweeps
    answer = as_answer(synchronous_sweeps((tmp_path / "ws-01.yaml").read_text()))
    check = runner.invoke(app, ["mdp", "evaluate", "ws-01.yaml", "-p", "pi", "--method",
                                "iterative", "--sweeps", "2", "--answer", answer])  # fmt: skip
    assert check.exit_code == 0, check.output


def test_solutions_path_and_bad_suffix(tmp_path):
    sol = tmp_path / "answers.md"
    res = runner.invoke(app, ["practice", "value-iteration", "--count", "1", "--worksheet",
                              str(tmp_path / "w.md"), "--solutions", str(sol)])  # fmt: skip
    assert res.exit_code == 0 and sol.exists()
    res = runner.invoke(
        app, ["practice", "value-iteration", "--worksheet", str(tmp_path / "w.txt")]
    )
    assert res.exit_code == 2


def well_formed_latex(text: str) -> None:
    """One document; environments nest; braces balance and TeX specials are escaped outside
    verbatim; ASCII only (pdflatex without inputenc surprises)."""
    assert text.isascii()
    assert text.startswith("\\documentclass") and text.rstrip().endswith("\\end{document}")
    stack = []
    outside = re.sub(r"\\begin\{verbatim\}.*?\\end\{verbatim\}", "", text, flags=re.S)
    for kind, name in re.findall(r"\\(begin|end)\{(\w+)\}", text):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name
    assert not stack
    plain = re.sub(r"\\[{}&%$#_]", "", outside)
    depth = 0
    for c in plain:
        depth += {"{": 1, "}": -1}.get(c, 0)
        assert depth >= 0
    assert depth == 0
    assert not re.search(r"(?<!\\)[&%$#_^]", re.sub(r"\\textasciicircum\{\}", "", outside))


def _latex_sheet(tmp_path):
    res = runner.invoke(
        app,
        ["practice", "policy-evaluation", "value-iteration", "policy-iteration",
         "bellman-equations", "--count", "4", "--worksheet", str(tmp_path / "w.tex")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    return [tmp_path / "w.tex", tmp_path / "w-solutions.tex"]


def test_latex_worksheet_is_well_formed(tmp_path):
    for path in _latex_sheet(tmp_path):
        well_formed_latex(path.read_text())


def test_latex_worksheet_compiles(tmp_path):
    engine = shutil.which("pdflatex") or shutil.which("lualatex") or shutil.which("xelatex")
    if engine is None:
        pytest.skip("no LaTeX engine installed")
    for path in _latex_sheet(tmp_path):
        done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", path.name],
                              cwd=tmp_path, capture_output=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:]


def test_the_topic_list_with_json_is_one_json_document() -> None:
    # found by the CLI fuzz suite: `practice --json` printed the text list
    import json as _json

    from typer.testing import CliRunner

    from rlcli.cli.app import app
    from rlcli.practice.topics import topics

    result = CliRunner().invoke(app, ["practice", "--json"])
    assert result.exit_code == 0
    assert set(_json.loads(result.stdout)["topics"]) == set(topics())
