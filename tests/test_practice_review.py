"""A student's and a teacher's review of ``rlcli practice``: each defect found, pinned.

The numbers are worked by hand in the comments (exact fractions), never taken from the code.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from fractions import Fraction as F

import pytest
import yaml
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.grade.answer import AnswerError
from rlcli.practice.topics import generate

runner = CliRunner()

# td0, seed 1: gamma 1, alpha 1/10, episodes "B 0" and "C 2 A 1 A 1".
#   B→end r=0: V(B) = 0 + 1/10·(0 + 0 − 0) = 0
#   C→A r=2:  V(C) = 1/10·(2 + 0 − 0) = 1/5
#   A→A r=1:  V(A) = 1/10·(1 + 0 − 0) = 1/10
#   A→end r=1: V(A) = 1/10 + 1/10·(1 + 0 − 1/10) = 1/10 + 9/100 = 19/100
TD0_FILE = "gamma: 1\nalpha: 1/10\nepisodes:\n  - B 0\n  - C 2 A 1 A 1\n"
# importance-sampling, seed 1: gamma 1, π: A→right, B→right; b(right|A) = 1/4,
# b(right|B) = 3/4. Episodes "A left 1" (ρ = 0, G = 1), "A right 2 B right 0"
# (ρ = 4·4/3 = 16/3, G = 2), "A left 2 B right 2" (ρ = 0, G = 4).
#   ordinary = (16/3·2)/3 = 32/9; weighted = (32/3)/(16/3) = 2
IS_FILE = (
    'gamma: 1\ntarget: "A=right; B=right"\n'
    'behaviour: "A=left:3/4|right:1/4; B=left:1/4|right:3/4"\n'
    "episodes:\n  - A left 1\n  - A right 2 B right 0\n  - A left 2 B right 2\n"
)


def test_the_hand_worked_exercises_are_the_drawn_ones():
    assert generate("td0", 1).files["experience.yaml"] == TD0_FILE
    assert generate("importance-sampling", 1).files["experience.yaml"] == IS_FILE


@pytest.mark.parametrize(
    "answer",
    [
        "A=19/100, B=0, C=1/5",
        "A = 0.19, B = 0, C = 0.2",
        "A=19/100; B=0; C=1/5",  # semicolons
        "A: 19/100, B: 0, C: 1/5",  # colons on one line: not YAML, unambiguous
        "{A: 19/100, B: 0, C: 1/5}",  # a YAML mapping of states means values
        "A: 0.19\nB: 0\nC: 0.2",
        "values: {A: 19/100, B: 0, C: 1/5}",
    ],
)
def test_values_written_the_ways_a_student_writes_them(answer):
    report = generate("td0", 1).grade(answer, None)
    assert report.all_right
    assert sorted(".".join(c.path) for c in report.cells) == ["values.A", "values.B", "values.C"]


@pytest.mark.parametrize(
    "answer",
    ["ordinary=32/9, weighted=2", "ordinary: 32/9, weighted: 2", "ordinary: 3.56; weighted: 2",
     "{ordinary: 32/9, weighted: 2}"],
)  # fmt: skip
def test_two_numbers_on_one_line(answer):
    report = generate("importance-sampling", 1).grade(answer, None)
    assert report.all_right and len(report.cells) == 2


def test_lenient_reading_still_grades_wrong_numbers_and_refuses_unknown_names():
    ex = generate("importance-sampling", 1)
    report = ex.grade("ordinary: 2, weighted: 32/9", None)  # swapped
    assert [c.ok for c in report.cells] == [False, False]
    with pytest.raises(AnswerError, match="'rho' is none of them"):
        ex.grade("rho=2, weighted=2", None)
    with pytest.raises(AnswerError, match=r"values\.D"):
        generate("td0", 1).grade("D: 1, A: 2", None)


# policy-evaluation, seed 1 (gamma 1/2; pi: A right, B right, C right):
#   V1(A) = 1/2·0 + 1/2·2 = 1; V1(B) = 1/2·2 + 1/2·(−2) = 0; V1(C) = −2
#   V2(A) = 1/2·0 + 1/2·(2 + 1/2·V1(C)) = 1/2·(2 − 1) = 1/2
#   V2(B) = 1/2·(2 + 1/2·V1(A)) + 1/2·(−2) = 5/4 − 1 = 1/4; V2(C) = −2 + 1/2·V1(B) = −2
PE_V1 = "1: {A: 1, B: 0, C: -2}"
PE_V2 = "2: {A: 1/2, B: 1/4, C: -2}"


def _drill(topic: str, seed: int, answer: str):
    return runner.invoke(app, ["practice", topic, "--seed", str(seed)], input=answer + "\n")


def test_a_drill_answer_must_give_every_asked_value():
    # V1 alone used to be "3 right, 0 wrong", exit 0, though V2 was asked for too
    res = _drill("policy-evaluation", 1, "sweeps: {" + PE_V1 + "}")
    assert res.exit_code == 1
    assert "missing: 3 asked value(s) not given: sweeps.2.A, sweeps.2.B, sweeps.2.C" in res.output
    # the terminal state's 0 need not be given, but may be
    full = _drill("policy-evaluation", 1, "sweeps: {" + PE_V1 + ", " + PE_V2 + "}")
    assert full.exit_code == 0 and "missing" not in full.output
    with_t = "sweeps: {1: {A: 1, B: 0, C: -2, T: 0}, 2: {A: 0.5, B: 0.25, C: -2, T: 0}}"
    assert _drill("policy-evaluation", 1, with_t).exit_code == 0


def test_a_drill_answer_missing_an_action_or_a_number():
    # importance-sampling seed 1: the weighted estimate (2) alone is not the whole answer
    res = _drill("importance-sampling", 1, "weighted: 2")
    assert res.exit_code == 1 and "not given: ordinary" in res.output
    assert _drill("importance-sampling", 1, "ordinary=32/9, weighted=2").exit_code == 0


def test_grid_terminal_cells_need_not_be_given():
    # grid-evaluation seed 1: a 3×3 grid, terminal at r1c2 (the map in the file)
    ex = generate("grid-evaluation", 1)
    assert "    . . .\n    . . T\n    . . .\n" in ex.files["exercise.yaml"]
    assert ex.given == frozenset({"r1c2"})
    report = ex.grade("sweeps: {1: {r0c0: -1}}", None)
    missing = ex.missing(report)
    assert len(missing) == 2 * 8 - 1 and "sweeps.1.r1c2" not in missing


VALUE_TOPICS = ("td0", "mc-first-visit", "mc-every-visit", "batch-td-vs-mc", "n-step",
                "lambda-return")  # fmt: skip


@pytest.mark.parametrize("topic", VALUE_TOPICS)
def test_the_answer_hint_names_exactly_the_states_graded(topic):
    # the hint used to be 'A=.., B=.., ..' also when the episodes never visit A: a student
    # answering A=0 was refused (exit 2)
    for seed in range(15):
        ex = generate(topic, seed)
        hint = ex.question[ex.question.index("(answer: ") :]
        named = {item.split("=")[0] for item in hint[len("(answer: ") : -2].split(", ")}
        assert named == set(ex.truth["values"]), (seed, hint)
        assert named == {t for t in ex.files["experience.yaml"].split() if t in ("A", "B", "C")}


def test_n_step_return_written_out_for_n_2():
    # n-step seed 2: n = 2, gamma 1/2, alpha 1/2; episodes "C 0 A 0", "A 1 A 0 B 2".
    #   ep 1: G = 0 for both steps: V(C) = V(A) = 0
    #   ep 2: τ=0: G = 1 + 1/2·0 + 1/4·V(B) = 1, V(A) = 1/2
    #         τ=1: G = 0 + 1/2·2 = 1, V(A) = 1/2 + 1/2·(1 − 1/2) = 3/4
    #         τ=2: G = 2, V(B) = 1
    ex = generate("n-step", 2)
    assert ex.files["experience.yaml"].endswith("  - C 0 A 0\n  - A 1 A 0 B 2\n")
    assert "G_τ:τ+2 = R_τ+1 + γR_τ+2 + γ^2V(S_τ+2) (" in ex.question
    assert "+ … +" not in ex.question  # was "R_τ+1 + γR_τ+2 + … + γ^1R_τ+2 + ..."
    assert _drill("n-step", 2, "A=3/4, B=1, C=0").exit_code == 0
    assert "γ^2R_τ+3 + γ^3V(S_τ+3)" in generate("n-step", 1).question


def test_visit_rules_and_batch_questions_read_as_sentences():
    first, every = generate("mc-first-visit", 1).question, generate("mc-every-visit", 1).question
    assert "following the first visit to s in each episode" in first
    assert "following every visit to s," in every and "every visits" not in every
    questions = {generate("batch-td-vs-mc", s).question for s in range(10)}
    assert any("values that batch TD(0) converges to: V = r̂ + γP̂V" in q for q in questions)
    assert any("values that batch every-visit Monte Carlo converges to" in q for q in questions)
    assert "Σ_{n=1}^{T−t−1} λ^(n−1) G_t:t+n" in generate("lambda-return", 1).question


def _q(data: dict, v: dict, s: str, a: str) -> F:
    """Σ p·(r + γ·v(s')) straight from the MDP file."""
    spec = data["transitions"][s][a]
    gamma = F(str(data["gamma"]))
    return sum(F(str(o.get("p", 1))) * (o["r"] + gamma * v[o["next"]])
               for o in (spec if isinstance(spec, list) else [spec]))  # fmt: skip


def _greedy(data: dict, v: dict) -> dict:
    out = {}
    for s in ("A", "B", "C"):
        qs = {a: _q(data, v, s, a) for a in ("left", "right")}
        out[s] = {a for a, x in qs.items() if x == max(qs.values())}
    return out


def test_value_iteration_policy_is_greedy_with_respect_to_v2_as_the_question_says():
    # "the greedy actions after sweep 2" could be read as the actions achieving the max in
    # sweep 2 (greedy w.r.t. V1); the truth is greedy w.r.t. V2, and in seed 9 the two differ
    other_reading = 0
    for seed in range(12):
        ex = generate("value-iteration", seed)
        assert "greedy with respect to V2, argmax_a Σ p·(r + γ·V2(s'))" in ex.question
        data = yaml.safe_load(ex.files["exercise.yaml"])
        v0 = {s: F(0) for s in data["states"]}
        v1 = {**v0, **{s: max(_q(data, v0, s, a) for a in ("left", "right")) for s in "ABC"}}
        v2 = {**v0, **{s: max(_q(data, v1, s, a) for a in ("left", "right")) for s in "ABC"}}
        truth = {s: set(c.right) for s, c in ex.truth["policy"].items()}
        assert truth == _greedy(data, v2), seed
        other_reading += _greedy(data, v1) != truth
    assert other_reading >= 1


def test_grid_question_says_where_r0c0_is_and_solve_questions_set_pi_aside():
    assert "counted from 0 at the top left" in generate("grid-evaluation", 1).question
    assert "for every non-terminal cell" in generate("grid-evaluation", 1).question
    assert "the file's policy pi is not used" in generate("value-iteration", 1).question
    assert "from any initial policy" in generate("policy-iteration", 1).question


# sarsa, seed 1: gamma 9/10, alpha 1/2; episodes "A right 0 B right 1", "A left 2 B left 0".
#   Q(A,right) = 1/2·(0 + 9/10·Q(B,right) − 0) = 0;  Q(B,right) = 1/2·(1 + 0) = 1/2
#   Q(A,left) = 1/2·(2 + 9/10·Q(B,left) − 0) = 1;    Q(B,left) = 1/2·(0 + 0) = 0
@pytest.mark.parametrize(
    "answer",
    [
        "q: {A: {left: 1, right: 0}, B: {left: 0, right: 1/2}}",
        "{A: {left: 1, right: 0}, B: {left: 0, right: 1/2}}",  # q: left out
        "Q(A,left)=1, Q(A, right)=0; Q(B,left)=0, Q(B,right)=0.5",
        "Q(A, left): 1, Q(A, right): 0, Q(B, left): 0, Q(B, right): 1/2",
    ],
)
def test_q_written_the_ways_a_student_writes_it(answer):
    ex = generate("sarsa", 1)
    assert ex.files["experience.yaml"].endswith("  - A right 0 B right 1\n  - A left 2 B left 0\n")
    report = ex.grade(answer, None)
    assert report.all_right and len(report.cells) == 4 and not ex.missing(report)


def test_v_of_state_notation_and_refusals():
    assert generate("td0", 1).grade("V(A)=19/100, V(B)=0, V(C)=0.2", None).all_right
    assert not generate("td0", 1).grade("V(A)=1/5", None).all_right
    with pytest.raises(AnswerError, match=r"computes q; 'V\(A\)' is none of them"):
        generate("sarsa", 1).grade("V(A)=1", None)
    with pytest.raises(AnswerError, match=r"action 'up' does not exist"):
        generate("sarsa", 1).grade("Q(A,up)=1", None)
    with pytest.raises(AnswerError, match=r"expected Q\(STATE, ACTION\)"):
        generate("sarsa", 1).grade("Q(A)=1", None)


# gae, seed 1: γ = 1/2, λ = 1; rewards 0,0,1,1; values 2,2,0,3,3; dones 0,0,0,1.
#   δ0 = 0 + 1/2·2 − 2 = −1; δ1 = 0 + 1/2·0 − 2 = −2; δ2 = 1 + 1/2·3 − 0 = 5/2; δ3 = 1 − 3 = −2
#   Â3 = −2; Â2 = 5/2 + 1/2·(−2) = 3/2; Â1 = −2 + 1/2·3/2 = −5/4; Â0 = −1 + 1/2·(−5/4) = −13/8
@pytest.mark.parametrize(
    "answer",
    [
        "deltas: [-1, -2, 5/2, -2], advantages: [-13/8, -5/4, 3/2, -2]",  # the hint, one line
        "deltas: -1, -2, 5/2, -2\nadvantages: -13/8, -5/4, 3/2, -2",  # lists without brackets
        "deltas: [-1, -2, 2.5, -2]\nadvantages: [-1.625, -1.25, 1.5, -2]",
    ],
)
def test_lists_written_the_ways_a_student_writes_them(answer):
    ex = generate("gae", 1)
    assert "Rewards r_0..r_3 = 0,0,1,1, values V(s_0)..V(s_4) = 2,2,0,3,3" in ex.question
    assert _drill("gae", 1, answer).exit_code == 0


def test_lists_without_brackets_are_still_checked():
    ex = generate("gae", 1)
    report = ex.grade("advantages: -13/8, -5/4, 3/2, 2", None)  # the last sign wrong
    assert [c.ok for c in report.cells] == [True, True, True, False]
    with pytest.raises(AnswerError, match="5 items given, the exercise has 4"):
        ex.grade("advantages: -13/8, -5/4, 3/2, -2, 7", None)
    with pytest.raises(AnswerError, match=r"advantages\.2: 'x' is not a number"):
        ex.grade("advantages: -13/8, -5/4, x, -2", None)


def test_the_one_line_hint_of_grpo_and_reinforce_is_accepted():
    # grpo seed 1: rewards 0,1,0,1, sample std: mean 1/2, std = √(4·(1/4)/3) = √(1/3) ≈ 0.5774,
    # Â = ±(1/2)/(0.5774 + 1/2) ≈ ±0.4641
    grpo = "mean: 1/2, std: 0.577, advantages: [-0.464, 0.464, -0.464, 0.464]"
    assert _drill("grpo", 1, grpo).exit_code == 0
    # reinforce seed 1: π(L) = 1/(1 + 1/3) = 3/4; G = (0 + 1/2·(−1), −1) = (−1/2, −1);
    # ĝ = −1/2·(1/4, −1/4) + 1/2·(−1)·(−3/4, 3/4) = (1/4, −1/4)
    answer = "returns: [-1/2, -1], gradient: {s1: {L: 1/4, R: -1/4}}"
    assert _drill("reinforce", 1, answer).exit_code == 0


MIXED = ["policy-evaluation", "td0", "reinforce", "sarsa", "gae", "value-iteration"]


def _sheet(tmp_path, name: str, topics: list[str], count: int):
    res = runner.invoke(app, ["practice", *topics, "--count", str(count), "--seed", "4",
                              "--worksheet", str(tmp_path / name)])  # fmt: skip
    assert res.exit_code == 0, res.output


def _solution_yaml(ex) -> str:
    from rlcli.practice.sheet import exercise_json

    return yaml.safe_dump(exercise_json(ex)["solution"], default_flow_style=True, width=10**6)


def test_every_check_hint_of_a_mixed_worksheet_runs_as_printed(tmp_path, monkeypatch):
    # a teacher's sheet of MDP, replay and calc exercises; each '# check:' line, run as
    # printed with the exercise's right answer for 'ANSWER', exits 0
    from rlcli.practice.sheet import exercises

    monkeypatch.chdir(tmp_path)
    _sheet(tmp_path, "ws.md", MIXED, 6)
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
    _sheet(tmp_path, "w.tex", every, len(every))
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
        done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", path.name],
                              cwd=tmp_path, capture_output=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:]
        assert b"Overfull \\hbox" not in path.with_suffix(".log").read_bytes()


def generate_sheet(topics: list[str]):
    from rlcli.practice.sheet import exercises

    return exercises(topics, len(topics), 4)


def test_the_worked_answer_lists_states_and_actions_in_the_hints_order():
    # td0 seed 1 visits B, then C, then A; the answer line reads A, B, C like the hint
    # (values from the hand-worked TD0_FILE above)
    assert "  values: A = 19/100 (= 0.19), B = 0, C = 1/5 (= 0.2)" in generate("td0", 1).work()
    # sarsa seed 1 (hand-worked above): left before right, as in the hint
    assert "  q A: left = 1, right = 0" in generate("sarsa", 1).work()


def test_a_minus_sign_copied_from_the_printed_question_is_a_minus():
    # U+2212, as the questions print it in formulas
    answer = "Q(A,left)=1, Q(A,right)=0, Q(B,left)=\u22120"
    assert generate("sarsa", 1).grade(answer, None).all_right
    report = generate("gae", 1).grade("deltas: [\u22121, \u22122, 5/2, \u22122]", None)
    assert report.all_right and len(report.cells) == 4


def test_one_value_a_line_as_typed_at_the_terminal_prompt():
    # the prompt reads lines until an empty one: 'A=..' one a line is the natural answer
    assert _drill("td0", 1, "A=19/100\nB=0\nC=1/5").exit_code == 0
    res = _drill("sarsa", 1, "Q(A,left)=1\nQ(A,right)=0\nQ(B,left)=0, Q(B,right)=1/2")
    assert res.exit_code == 0 and "answer: 4 right, 0 wrong" in res.output
    wrong = generate("td0", 1).grade("A=19/100\nB=0\nC=0.21", None)
    assert [c.ok for c in wrong.cells] == [True, True, False]
