"""Issue 13: ``rlcli practice`` end to end: piped answers graded and diagnosed with the
right exit code, --json, seeds, worksheets (Markdown, LaTeX) that never overwrite files."""

from __future__ import annotations

import json
import math
import re
import shlex
import shutil
from fractions import Fraction as F

import pytest
import yaml
from helpers import assert_compiles, drill, latex_engine, well_formed_latex, worksheet
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
    args = worksheet("ws.md", ["policy-evaluation", "bellman-equations"], 3, seed=9)
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


def _latex_sheet(tmp_path):
    topics = ["policy-evaluation", "value-iteration", "policy-iteration", "bellman-equations"]
    worksheet(tmp_path / "w.tex", topics, 4)
    return [tmp_path / "w.tex", tmp_path / "w-solutions.tex"]


def test_latex_worksheet_is_well_formed(tmp_path):
    for path in _latex_sheet(tmp_path):
        well_formed_latex(path.read_text())


def test_latex_worksheet_compiles(tmp_path):
    engine = latex_engine()
    if engine is None:
        pytest.skip("no LaTeX engine installed")
    for path in _latex_sheet(tmp_path):
        assert_compiles(engine, path)


def test_the_topic_list_with_json_is_one_json_document() -> None:
    # found by the CLI fuzz suite: `practice --json` printed the text list
    import json as _json

    from typer.testing import CliRunner

    from rlcli.cli.app import app
    from rlcli.practice.topics import topics

    result = CliRunner().invoke(app, ["practice", "--json"])
    assert result.exit_code == 0
    assert set(_json.loads(result.stdout)["topics"]) == set(topics())


# policy-evaluation, seed 1 (gamma 1/2; pi: A right, B right, C right):
#   V1(A) = 1/2·0 + 1/2·2 = 1; V1(B) = 1/2·2 + 1/2·(−2) = 0; V1(C) = −2
#   V2(A) = 1/2·0 + 1/2·(2 + 1/2·V1(C)) = 1/2·(2 − 1) = 1/2
#   V2(B) = 1/2·(2 + 1/2·V1(A)) + 1/2·(−2) = 5/4 − 1 = 1/4; V2(C) = −2 + 1/2·V1(B) = −2
PE_V1 = "1: {A: 1, B: 0, C: -2}"
PE_V2 = "2: {A: 1/2, B: 1/4, C: -2}"


def test_a_drill_answer_must_give_every_asked_value():
    # V1 alone used to be "3 right, 0 wrong", exit 0, though V2 was asked for too
    res = drill("policy-evaluation", 1, "sweeps: {" + PE_V1 + "}")
    assert res.exit_code == 1
    assert "missing: 3 asked value(s) not given: sweeps.2.A, sweeps.2.B, sweeps.2.C" in res.output
    # the terminal state's 0 need not be given, but may be
    full = drill("policy-evaluation", 1, "sweeps: {" + PE_V1 + ", " + PE_V2 + "}")
    assert full.exit_code == 0 and "missing" not in full.output
    with_t = "sweeps: {1: {A: 1, B: 0, C: -2, T: 0}, 2: {A: 0.5, B: 0.25, C: -2, T: 0}}"
    assert drill("policy-evaluation", 1, with_t).exit_code == 0


def test_a_drill_answer_missing_an_action_or_a_number():
    # importance-sampling seed 1: the weighted estimate (2) alone is not the whole answer
    res = drill("importance-sampling", 1, "weighted: 2")
    assert res.exit_code == 1 and "not given: ordinary" in res.output
    assert drill("importance-sampling", 1, "ordinary=32/9, weighted=2").exit_code == 0


def test_a_minus_sign_copied_from_the_printed_question_is_a_minus():
    # U+2212, as the questions print it in formulas
    answer = "Q(A,left)=1, Q(A,right)=0, Q(B,left)=\u22120"
    assert generate("sarsa", 1).grade(answer, None).all_right
    report = generate("gae", 1).grade("deltas: [\u22121, \u22122, 5/2, \u22122]", None)
    assert report.all_right and len(report.cells) == 4


MIXED = ["policy-evaluation", "td0", "reinforce", "sarsa", "gae", "value-iteration"]


def _solution_yaml(ex) -> str:
    from rlcli.practice.sheet import exercise_json

    return yaml.safe_dump(exercise_json(ex)["solution"], default_flow_style=True, width=10**6)


def test_every_check_hint_of_a_mixed_worksheet_runs_as_printed(tmp_path, monkeypatch):
    # a teacher's sheet of MDP, replay and calc exercises; each '# check:' line, run as
    # printed with the exercise's right answer for 'ANSWER', exits 0
    from rlcli.practice.sheet import exercises

    monkeypatch.chdir(tmp_path)
    worksheet(tmp_path / "ws.md", MIXED, 6, seed=4)
    text = (tmp_path / "ws.md").read_text()
    checks = [ln[len("# check: ") :] for ln in text.splitlines() if ln.startswith("# check: ")]
    exs = exercises(MIXED, 6, 4)
    assert [ex.topic for ex in exs] == MIXED and len(checks) == 6
    assert sorted(p.name for p in tmp_path.glob("ws-*.yaml")) == [
        "ws-01.yaml", "ws-02.yaml", "ws-04.yaml", "ws-06.yaml"]  # fmt: skip
    for ex, check in zip(exs, checks, strict=True):
        assert check.endswith(" --answer 'ANSWER'")  # quoted: answers have spaces
        words = shlex.split(check.replace("'ANSWER'", shlex.quote(_solution_yaml(ex))))
        assert words[0] == "rlcli"
        res = runner.invoke(app, words[1:])
        assert res.exit_code == 0, (check, res.output)


def test_latex_sheet_spells_out_every_symbol_and_fits_the_page(tmp_path):
    # θ, ∇, ∂, √, ‖, ½ used to print as '?'; solution lines ran off the page (to 208 columns)
    from rlcli.practice.sheet import TEX_VERBATIM_WIDTH
    from rlcli.practice.topics import topics

    every = list(topics())
    worksheet(tmp_path / "w.tex", every, len(every), seed=4)
    sheet, solutions = tmp_path / "w.tex", tmp_path / "w-solutions.tex"
    for path in (sheet, solutions):
        text = path.read_text()
        assert text.isascii() and "?" not in text
        for block in re.findall(r"\\begin\{verbatim\}\n(.*?)\\end\{verbatim\}", text, re.S):
            assert max(len(line) for line in block.splitlines()) <= TEX_VERBATIM_WIDTH
    assert r"grad\_theta log pi(A\_t|S\_t)" in sheet.read_text()
    # a check command broken over lines still reads as the command
    joined = re.sub(r" \\\n +", " ", sheet.read_text())
    long = [f"# check: {ex.command} --answer 'ANSWER'" for ex in generate_sheet(every)
            if not ex.files]  # fmt: skip
    long = [check for check in long if len(check) > TEX_VERBATIM_WIDTH]
    assert long and all(check in joined for check in long)
    engine = shutil.which("pdflatex")
    if engine is None:
        return
    for path in (sheet, solutions):
        assert_compiles(engine, path)
        assert b"Overfull \\hbox" not in path.with_suffix(".log").read_bytes()


def generate_sheet(topics: list[str]):
    from rlcli.practice.sheet import exercises

    return exercises(topics, len(topics), 4)


def test_a_worksheet_without_a_topic_is_refused_and_writes_nothing(tmp_path, monkeypatch):
    # review: `practice --count 5 --seed 9 --worksheet s.md` listed the topics, exit 0
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["practice", "--count", "5", "--seed", "9", "--worksheet", "s.md"])
    assert res.exit_code == 2 and "TOPIC" in res.output
    res = runner.invoke(app, ["practice", "--solutions", "a.md"])
    assert res.exit_code == 2 and "TOPIC" in res.output
    assert list(tmp_path.iterdir()) == []


def test_the_solutions_never_overwrite_the_worksheet_or_a_data_file(tmp_path, monkeypatch):
    # review: --solutions s.md beside --worksheet s.md left only the solutions in s.md
    monkeypatch.chdir(tmp_path)
    base = ["practice", "td0", "--count", "2", "--seed", "1", "--worksheet", "s.md"]
    for other in ("s.md", "./s.md", str(tmp_path / "s.md"), "s-01.yaml", "s-02.yaml"):
        res = runner.invoke(app, [*base, "--solutions", other])
        assert res.exit_code == 2 and "--solutions" in res.output, (other, res.output)
        assert list(tmp_path.iterdir()) == []
    res = runner.invoke(app, [*base, "--solutions", "answers.md"])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["answers.md", "s-01.yaml", "s-02.yaml", "s.md"]
    assert "and 2 data file(s)" in res.output  # two exercises, one data file each


def test_a_worksheet_without_seed_prints_and_records_a_seed_that_remakes_it(tmp_path):
    # review: worksheets were always seed 0 though --help said "default: random"
    first, again = tmp_path / "a", tmp_path / "b"
    first.mkdir(), again.mkdir()
    args = ["practice", "td0", "sarsa", "--count", "3"]
    res = runner.invoke(app, [*args, "--worksheet", str(first / "w.md")])
    assert res.exit_code == 0, res.output
    seed = re.search(r"seed (\d+) \(--seed \1 writes", res.output).group(1)
    assert f"(seed {seed})" in (first / "w.md").read_text().splitlines()[0]
    remade = runner.invoke(app, [*args, "--seed", seed, "--worksheet", str(again / "w.md")])
    assert remade.exit_code == 0, remade.output
    made = {p.name: p.read_bytes() for p in first.iterdir()}
    assert made == {p.name: p.read_bytes() for p in again.iterdir()} and len(made) == 5
    # the default is random: of three unseeded sheets, not all have the same seed
    seeds = {seed}
    for k in range(2):
        out = runner.invoke(app, [*args, "--worksheet", str(tmp_path / f"c{k}.md")]).output
        seeds.add(re.search(r"seed (\d+)", out).group(1))
    assert len(seeds) > 1


def test_an_answer_piped_to_a_json_drill_is_graded():
    # review: `echo 'kl: 9' | rlcli practice kl --seed 2 --json` ignored the answer, exit 0.
    # kl seed 2: p = (1/2, 1/4, 1/4), q = (1/4, 1/4, 1/2); KL(p||q) = 1/2 ln 2 + 0 + 1/4 ln(1/2)
    # = 1/4 ln 2 = 0.1733, so 9 is wrong and k1, k2, k3 are missing
    kl = 0.25 * math.log(2)
    res = runner.invoke(app, ["practice", "kl", "--seed", "2", "--json"], input="kl: 9\n")
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    (cell,) = doc["answer"]["cells"]
    assert cell["path"] == "kl" and not cell["ok"] and cell["expected"] == pytest.approx(kl)
    assert doc["answer"]["missing"] == ["k1", "k2", "k3"]
    # the samples are x = 1, 1, 2: r = q/p = 1, 1, 2; k1 = -ln r, k2 = (ln r)^2/2,
    # k3 = (r - 1) - ln r, averaged over the three
    ln2 = math.log(2)
    right = f"kl: {kl:.4f}\nk1: {-ln2 / 3:.4f}\nk2: {ln2**2 / 6:.4f}\nk3: {(1 - ln2) / 3:.4f}\n"
    ok = runner.invoke(app, ["practice", "kl", "--seed", "2", "--json"], input=right)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["answer"]["all_right"] is True
    # no answer: the exercise alone, no check asked for, exit 0
    bare = runner.invoke(app, ["practice", "kl", "--seed", "2", "--json"], input="")
    assert bare.exit_code == 0 and "answer" not in json.loads(bare.stdout)


def test_a_drill_without_an_answer_exits_0():
    # review: `rlcli practice td0 < /dev/null` exited 1 though no check was asked for
    res = runner.invoke(app, ["practice", "td0", "--seed", "3"], input="")
    assert res.exit_code == 0, res.output
    assert "no answer given" in res.output and "worked solution" in res.output


def test_latex_sheet_keeps_a_spelled_symbol_apart_from_the_next_word(tmp_path):
    # review: "alpha[R + gammaV(S') - V(S)]" and "gammalambda(1-d_t)" in the LaTeX sheets
    worksheet(tmp_path / "w.tex", ["td0", "gae"], 2, seed=1)
    text = (tmp_path / "w.tex").read_text() + (tmp_path / "w-solutions.tex").read_text()
    assert "gamma V(S')" in text and "gamma lambda(1-d" in text
    glued = re.findall(r"(?:alpha|gamma|lambda|theta|delta(?!s))[A-Za-z0-9]", text)
    assert glued == []
    from rlcli.practice.sheet import ascii_text

    assert ascii_text("γ² π(a|s) ∂L/∂r 2γ") == "gamma^2 pi(a|s) dL/dr 2 gamma"


def test_help_texts_say_what_the_options_do_here():
    # review: practice's --force spoke of --csv/--plot/-o (it has none); calc's --answer
    # example was an MDP sweep
    practice = runner.invoke(app, ["practice", "--help"], env={"COLUMNS": "200"}).output
    force = next(line for line in practice.splitlines() if "--force" in line)
    assert "worksheet" in force and "--csv" not in force
    calc = runner.invoke(app, ["calc", "gae", "--help"], env={"COLUMNS": "200"}).output
    assert "sweeps" not in calc and "advantages" in calc
    replay = runner.invoke(app, ["replay", "--help"], env={"COLUMNS": "200"}).output
    assert "sweeps" not in replay and "q: {A: {left: 0}}" in replay
