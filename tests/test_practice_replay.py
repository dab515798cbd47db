"""Issue 13, replayed experience: for every replay topic, 200 generated exercises (seeds
0-199) are solved by the tool and by an independent reference written here in exact
fractions, straight from the experience file (PyYAML, the tokens split by hand, the
textbook equations as plain loops: S&B 6.2, 6.7, 6.8, 5.1, 6.3, 7.2, 12.3-12.4, 5.5-5.6),
with equal answers; every asked number is short; the drilled mistake changes the answer;
and end to end, a piped right answer exits 0 and a wrong one is diagnosed and exits 1."""

from __future__ import annotations

import json
from fractions import Fraction as F

import pytest
import yaml
from helpers import assert_compiles, drill, latex_engine, well_formed_latex, worksheet
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.grade.answer import AnswerError
from rlcli.practice.replay_topics import TOPICS
from rlcli.practice.topics import generate

SEEDS = range(200)
ACTIONS = ("left", "right")
runner = CliRunner()


def parse(text: str) -> tuple[dict, list[list[tuple]]]:
    """The file's settings and its episodes as steps (S, A, R, S', A'); S' None = terminal
    (every generated episode ends with a reward)."""
    data = yaml.safe_load(text)
    settings = {k: F(str(data[k])) for k in ("gamma", "alpha") if k in data}
    for k in ("target", "behaviour"):
        if k in data:
            settings[k] = data[k]
    episodes = []
    for line in data["episodes"]:
        tok = line.split()
        width = 3 if tok[1] in ACTIONS else 2
        steps = []
        for i in range(0, len(tok), width):
            j = i + width
            nxt = tok[j] if j < len(tok) else None
            steps.append((
                tok[i], tok[i + 1] if width == 3 else None, F(tok[i + width - 1]),
                nxt, tok[j + 1] if width == 3 and nxt else None,
            ))  # fmt: skip
        episodes.append(steps)
    return settings, episodes


def states_of(episodes) -> list[str]:
    return list(dict.fromkeys(st[0] for ep in episodes for st in ep))


def returns(ep, gamma) -> list[F]:
    """G_t = R_{t+1} + γ G_{t+1}, G_T = 0 (S&B eq. 3.9), backwards."""
    g, out = F(0), []
    for st in reversed(ep):
        g = st[2] + gamma * g
        out.append(g)
    return out[::-1]


def td0(settings, episodes, alpha_on_target=False) -> dict:
    """V(S) ← V(S) + α[R + γV(S') − V(S)] (eq. 6.2); the mistake: V(S) + α·target."""
    g, a = settings["gamma"], settings["alpha"]
    v = {s: F(0) for s in states_of(episodes)}
    for ep in episodes:
        for s, _, r, nxt, _ in ep:
            target = r + g * (v[nxt] if nxt else 0)
            v[s] = v[s] + a * target if alpha_on_target else v[s] + a * (target - v[s])
    return {"values": v}


def control(settings, episodes, sarsa: bool) -> dict:
    """SARSA: target R + γQ(S',A') (eq. 6.7); Q-learning: R + γ max_a Q(S',a) (eq. 6.8)."""
    g, a = settings["gamma"], settings["alpha"]
    q = {s: {b: F(0) for b in ACTIONS} for s in states_of(episodes)}
    for ep in episodes:
        for s, act, r, nxt, nact in ep:
            boot = F(0) if nxt is None else q[nxt][nact] if sarsa else max(q[nxt].values())
            q[s][act] += a * (r + g * boot - q[s][act])
    return {"q": q}


def mc(settings, episodes, first: bool) -> dict:
    """V(s) = the mean of the returns after the first (or every) visit to s (§5.1)."""
    seen_returns: dict[str, list[F]] = {s: [] for s in states_of(episodes)}
    for ep in episodes:
        g = returns(ep, settings["gamma"])
        visited = set()
        for t, st in enumerate(ep):
            if first and st[0] in visited:
                continue
            visited.add(st[0])
            seen_returns[st[0]].append(g[t])
    return {"values": {s: sum(x, F(0)) / len(x) for s, x in seen_returns.items()}}


def solve(a: list[list[F]], b: list[F]) -> list[F]:
    """a x = b by Gauss-Jordan elimination in fractions."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = next(r for r in range(c, n) if m[r][c] != 0)
        m[c], m[p] = m[p], m[c]
        m[c] = [x / m[c][c] for x in m[c]]
        for r in range(n):
            if r != c and m[r][c] != 0:
                m[r] = [x - m[r][c] * y for x, y in zip(m[r], m[c], strict=True)]
    return [m[i][n] for i in range(n)]


def batch_td(settings, episodes) -> dict:
    """The certainty-equivalence values (§6.3): V = r̂ + γ P̂ V of the counted model."""
    g = settings["gamma"]
    states = states_of(episodes)
    visits = {s: 0 for s in states}
    reward = {s: F(0) for s in states}
    nexts = {s: {t: 0 for t in states} for s in states}
    for ep in episodes:
        for s, _, r, nxt, _ in ep:
            visits[s] += 1
            reward[s] += r
            if nxt is not None:
                nexts[s][nxt] += 1
    a = [[F(int(s == t)) - g * F(nexts[s][t], visits[s]) for t in states] for s in states]
    b = [reward[s] / visits[s] for s in states]
    return {"values": dict(zip(states, solve(a, b), strict=True))}


def nstep(settings, episodes, n: int) -> dict:
    """V(S_τ) ← V(S_τ) + α[G_τ:τ+n − V(S_τ)] for τ = 0..T−1 in order (eq. 7.2)."""
    g, a = settings["gamma"], settings["alpha"]
    v = {s: F(0) for s in states_of(episodes)}
    for ep in episodes:
        T = len(ep)
        for tau in range(T):
            h = min(tau + n, T)
            target = sum((g ** (k - tau) * ep[k][2] for k in range(tau, h)), F(0))
            if h < T:
                target += g ** (h - tau) * v[ep[h][0]]
            s = ep[tau][0]
            v[s] += a * (target - v[s])
    return {"values": v}


def lambda_return(settings, episodes, lam: F) -> dict:
    """Offline λ-return (eqs. 12.3-12.4): G^λ_t = (1−λ) Σ_{n=1}^{T−t−1} λ^(n−1) G_t:t+n +
    λ^(T−t−1) G_t from the values at the episode's start; then the updates in time order."""
    g, a = settings["gamma"], settings["alpha"]
    v = {s: F(0) for s in states_of(episodes)}
    for ep in episodes:
        start, T = dict(v), len(ep)

        def g_n(t, n, start=start, ep=ep, T=T):
            h = min(t + n, T)
            x = sum((g ** (k - t) * ep[k][2] for k in range(t, h)), F(0))
            return x + (g ** (h - t) * start[ep[h][0]] if h < T else 0)

        glam = [
            (1 - lam) * sum((lam ** (n - 1) * g_n(t, n) for n in range(1, T - t)), F(0))
            + lam ** (T - t - 1) * g_n(t, T - t)
            for t in range(T)
        ]
        for t, st in enumerate(ep):
            v[st[0]] += a * (glam[t] - v[st[0]])
    return {"values": v}


def importance(settings, episodes) -> dict:
    """Every-visit ordinary (Σ ρG / n, eq. 5.5) and weighted (Σ ρG / Σ ρ, eq. 5.6) estimates
    of v_π(A), ρ_t:T−1 = Π π(A_k|S_k) / b(A_k|S_k)."""
    pi = dict(item.strip().split("=") for item in settings["target"].split(";"))
    b = {}
    for item in settings["behaviour"].split(";"):
        s, table = item.strip().split("=")
        b[s] = {act: F(p) for act, p in (x.split(":") for x in table.split("|"))}
    weighted_sum, rho_sum, visits = F(0), F(0), 0
    for ep in episodes:
        g = returns(ep, settings["gamma"])
        for t, st in enumerate(ep):
            if st[0] != "A":
                continue
            rho = F(1)
            for s, act, *_ in ep[t:]:
                rho *= F(int(pi[s] == act)) / b[s][act]
            weighted_sum += rho * g[t]
            rho_sum += rho
            visits += 1
    return {"ordinary": weighted_sum / visits, "weighted": weighted_sum / rho_sum}


def flag(command: str, name: str) -> str:
    words = command.split()
    return words[words.index(name) + 1]


def reference(topic: str, ex) -> dict:
    settings, episodes = parse(ex.files["experience.yaml"])
    if topic == "td0":
        return td0(settings, episodes)
    if topic in ("sarsa", "q-learning"):
        return control(settings, episodes, sarsa=topic == "sarsa")
    if topic in ("mc-first-visit", "mc-every-visit"):
        return mc(settings, episodes, first=topic == "mc-first-visit")
    if topic == "batch-td-vs-mc":
        batch_mc = ex.command.split()[2] == "mc"
        return mc(settings, episodes, False) if batch_mc else batch_td(settings, episodes)
    if topic == "n-step":
        return nstep(settings, episodes, int(flag(ex.command, "--n")))
    if topic == "lambda-return":
        return lambda_return(settings, episodes, F(flag(ex.command, "--lambda")))
    return importance(settings, episodes)


def short(x: F) -> bool:
    """Hand-sized: |x| <= 100, a fraction with denominator <= 12 or a <= 2-digit decimal."""
    return abs(x) <= 100 and (x.denominator <= 12 or 100 % x.denominator == 0)


def numbers(doc) -> list:
    if isinstance(doc, dict):
        return [x for v in doc.values() for x in numbers(v)]
    return [doc]


@pytest.mark.parametrize("topic", list(TOPICS))
def test_two_hundred_exercises_match_an_independent_reference(topic):
    for seed in SEEDS:
        ex = generate(topic, seed)
        assert ex.solution == reference(topic, ex), (topic, seed)
        cells = numbers(ex.solution)
        assert cells and all(isinstance(x, F) and short(x) for x in cells), (topic, seed)
        assert any(cells), (topic, seed)  # not an all-zero answer


def test_the_drilled_mistake_changes_the_answer():
    """Fair questions (the reference, mistaken): SARSA's target vs Q-learning's max,
    first- vs every-visit, batch MC vs batch TD, ordinary vs weighted."""
    for seed in range(100):
        for topic, other in (("sarsa", True), ("q-learning", False)):
            ex = generate(topic, seed)
            settings, episodes = parse(ex.files["experience.yaml"])
            assert control(settings, episodes, sarsa=not other) != ex.solution, (topic, seed)
        for topic, first in (("mc-first-visit", False), ("mc-every-visit", True)):
            ex = generate(topic, seed)
            settings, episodes = parse(ex.files["experience.yaml"])
            assert mc(settings, episodes, first) != ex.solution, (topic, seed)
        ex = generate("batch-td-vs-mc", seed)
        settings, episodes = parse(ex.files["experience.yaml"])
        assert mc(settings, episodes, False) != batch_td(settings, episodes), seed
        ex = generate("importance-sampling", seed)
        assert ex.solution["ordinary"] != ex.solution["weighted"], seed


def test_a_seed_reproduces_the_exercise_and_seeds_differ():
    for topic in TOPICS:
        assert generate(topic, 5) == generate(topic, 5)
        assert len({generate(topic, s).files["experience.yaml"] for s in range(10)}) >= 8
    assert {generate("batch-td-vs-mc", s).command.split()[2] for s in range(20)} == {"td", "mc"}


def as_answer(doc: dict) -> str:
    def node(x):
        if isinstance(x, dict):
            return "{" + ", ".join(f"{k}: {node(v)}" for k, v in x.items()) + "}"
        return str(x)

    return "\n".join(f"{k}: {node(v)}" for k, v in doc.items()) + "\n"


def _discounted(topic: str) -> tuple[int, object]:
    for seed in range(100):
        ex = generate(topic, seed)
        settings, episodes = parse(ex.files["experience.yaml"])
        if settings["gamma"] != 1 and td0({**settings, "gamma": F(1)}, episodes) != ex.solution:
            return seed, ex
    raise AssertionError("no such seed")


def test_piped_right_and_wrong_answers_graded_and_diagnosed():
    seed, ex = _discounted("td0")
    settings, episodes = parse(ex.files["experience.yaml"])
    right = runner.invoke(app, ["practice", "td0", "--seed", str(seed)],
                          input=as_answer(td0(settings, episodes)))  # fmt: skip
    assert right.exit_code == 0, right.output
    assert "wrong" in right.output and " 0 wrong" in right.output
    assert "diagnosis" not in right.output
    assert "worked solution (rlcli replay td experience.yaml):" in right.output
    assert "episode 1 t=0" in right.output  # the replay working
    forgot = td0({**settings, "gamma": F(1)}, episodes)
    wrong = runner.invoke(app, ["practice", "td0", "--seed", str(seed)], input=as_answer(forgot))
    assert wrong.exit_code == 1
    assert "diagnosis: γ left out (γ = 1) reproduces your numbers" in wrong.output
    assert "first difference: update" in wrong.output


def test_piped_importance_sampling_swap_is_diagnosed():
    ex = generate("importance-sampling", 3)
    sol = ex.solution
    swapped = f"{{ordinary: {sol['weighted']}, weighted: {sol['ordinary']}}}"
    res = runner.invoke(app, ["practice", "importance-sampling", "--seed", "3"], input=swapped)
    assert res.exit_code == 1
    assert "diagnosis: ordinary and weighted IS swapped" in res.output


def test_json_prints_the_exercise_and_its_solution():
    res = runner.invoke(app, ["practice", "n-step", "--seed", "4", "--json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    ex = generate("n-step", 4)
    assert doc["topic"] == "n-step" and doc["seed"] == 4
    assert doc["files"] == {"experience.yaml": ex.files["experience.yaml"]}
    assert doc["command"].startswith("rlcli replay nstep experience.yaml --n ")
    ref = reference("n-step", ex)["values"]
    assert doc["solution"] == {"values": {s: str(x) for s, x in ref.items()}}
    assert any(line.startswith("episode 1 τ=0") for line in doc["work"])


def test_worksheet_data_file_checks_with_its_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    worksheet("ws.md", ["sarsa", "mc-first-visit"], 2, seed=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ws-01.yaml", "ws-02.yaml", "ws-solutions.md", "ws.md"
    ]  # fmt: skip
    sheet = (tmp_path / "ws.md").read_text()
    assert "# check: rlcli replay sarsa ws-01.yaml --answer 'ANSWER'" in sheet
    assert "# check: rlcli replay mc ws-02.yaml --visit first --answer 'ANSWER'" in sheet
    settings, episodes = parse((tmp_path / "ws-02.yaml").read_text())
    answer = as_answer(mc(settings, episodes, first=True))
    check = runner.invoke(app, ["replay", "mc", "ws-02.yaml", "--visit", "first",
                                "--answer", answer])  # fmt: skip
    assert check.exit_code == 0, check.output


def test_latex_worksheet_of_every_replay_topic_is_well_formed(tmp_path):
    worksheet(tmp_path / "w.tex", TOPICS, len(TOPICS), seed=1)
    for name in ("w.tex", "w-solutions.tex"):
        text = (tmp_path / name).read_text()
        well_formed_latex(text)
        assert "?" not in text.replace("\\", "")  # every symbol spelled out, none lost


def test_a_topic_stream_does_not_depend_on_the_other_families(monkeypatch):
    from rlcli.practice import topics

    before = generate("td0", 7)
    topics._families.cache_clear()
    monkeypatch.setattr(topics, "FAMILIES", ("rlcli.practice.replay_topics",))
    try:
        assert set(topics.topics()) == set(TOPICS)
        assert topics.generate("td0", 7) == before
    finally:
        topics._families.cache_clear()


def test_json_form_of_any_family_exercise_with_list_answers():
    """A family whose answers are lists (GAE advantages) prints as JSON too."""
    from rlcli.grade.numbers import Inexact
    from rlcli.practice.exercise import Exercise
    from rlcli.practice.sheet import exercise_json

    truth = {"advantages": [F(1, 2), Inexact(0.25)]}
    ex = Exercise("gae", "q?", {}, "rlcli calc gae", ("advantages",), truth, None, lambda: ["w"])
    doc = json.loads(json.dumps(exercise_json(ex)))
    assert doc["solution"] == {"advantages": ["1/2", 0.25]}
    assert doc["files"] == {} and doc["work"] == ["w"]


def test_latex_worksheet_of_every_replay_topic_compiles(tmp_path):
    engine = latex_engine()
    if engine is None:
        pytest.skip("no LaTeX engine installed")
    worksheet(tmp_path / "w.tex", TOPICS, len(TOPICS), seed=2)
    for name in ("w.tex", "w-solutions.tex"):
        assert_compiles(engine, tmp_path / name)


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
    assert drill("n-step", 2, "A=3/4, B=1, C=0").exit_code == 0
    assert "γ^2R_τ+3 + γ^3V(S_τ+3)" in generate("n-step", 1).question


def test_visit_rules_and_batch_questions_read_as_sentences():
    first, every = generate("mc-first-visit", 1).question, generate("mc-every-visit", 1).question
    assert "following the first visit to s in each episode" in first
    assert "following every visit to s," in every and "every visits" not in every
    questions = {generate("batch-td-vs-mc", s).question for s in range(10)}
    assert any("values that batch TD(0) converges to: V = r̂ + γP̂V" in q for q in questions)
    assert any("values that batch every-visit Monte Carlo converges to" in q for q in questions)
    assert "Σ_{n=1}^{T−t−1} λ^(n−1) G_t:t+n" in generate("lambda-return", 1).question


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


def test_the_worked_answer_lists_states_and_actions_in_the_hints_order():
    # td0 seed 1 visits B, then C, then A; the answer line reads A, B, C like the hint
    # (values from the hand-worked TD0_FILE above)
    assert "  values: A = 19/100 (= 0.19), B = 0, C = 1/5 (= 0.2)" in generate("td0", 1).work()
    # sarsa seed 1 (hand-worked above): left before right, as in the hint
    assert "  q A: left = 1, right = 0" in generate("sarsa", 1).work()


def test_one_value_a_line_as_typed_at_the_terminal_prompt():
    # the prompt reads lines until an empty one: 'A=..' one a line is the natural answer
    assert drill("td0", 1, "A=19/100\nB=0\nC=1/5").exit_code == 0
    res = drill("sarsa", 1, "Q(A,left)=1\nQ(A,right)=0\nQ(B,left)=0, Q(B,right)=1/2")
    assert res.exit_code == 0 and "answer: 4 right, 0 wrong" in res.output
    wrong = generate("td0", 1).grade("A=19/100\nB=0\nC=0.21", None)
    assert [c.ok for c in wrong.cells] == [True, True, False]
