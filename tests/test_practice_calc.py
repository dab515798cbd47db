"""Policy-gradient practice topics (``rlcli.practice.calc_topics``): 200 exercises per topic
(seeds 0-199), each checked against an independent reference written here from the
published equations, its mistakes diagnosed, and its command line run through the CLI.

Exact topics (reinforce, gae, ppo-clip; grpo when the std is rational) are compared as
Fractions, equal; KL (logarithms) and GRPO with an irrational std (a square root) as floats
within 1e-9 relative. The reference reads the data back from the exercise's command line.
"""

from __future__ import annotations

import functools
import json
import math
import shlex
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from rlcli.cli.app import app
from rlcli.grade.documents import worked_document
from rlcli.grade.numbers import Inexact
from rlcli.practice.calc_topics import TOPICS, draw
from rlcli.practice.exercise import Exercise, is_short

SEEDS = range(200)
MAX_TRIES = 2000
FLOAT_TOL = Fraction(1, 10**9)


@functools.cache
def exercises(topic: str) -> list[Exercise]:
    """Seed s: the first exercise of ``draw(topic, default_rng([s, k]))``, k the topic's index."""
    out = []
    for seed in SEEDS:
        rng = np.random.default_rng([seed, list(TOPICS).index(topic)])
        for _ in range(MAX_TRIES):
            ex = draw(topic, rng)
            if ex is not None:
                out.append(ex)
                break
        else:  # pragma: no cover
            pytest.fail(f"{topic}: no exercise in {MAX_TRIES} draws for seed {seed}")
    return out


def options(ex: Exercise) -> dict[str, str]:
    """The command's --option value pairs."""
    tokens = shlex.split(ex.command)
    assert tokens[:3] == ["rlcli", "calc", ex.topic]
    rest = tokens[3:]
    assert len(rest) % 2 == 0 and all(k.startswith("--") for k in rest[::2])
    return dict(zip(rest[::2], rest[1::2], strict=True))


def fractions(text: str) -> list[Fraction]:
    return [Fraction(x) for x in text.split(",")]


# ---------------------------------------------------------------- references


def reinforce_ref(o: dict[str, str], gamma_t: bool = True, baseline: bool = True) -> dict:
    """S&B eq. 13.8: θ ← θ + α γ^t G_t ∇ ln π(A_t|S_t), as ĝ = Σ_t γ^t (G_t − b(S_t))
    (onehot(A_t) − π(·|S_t)) for a softmax in θ(s,·); logits are 0 or ln(q), so e^θ is 1 or q."""
    pi: dict[str, dict[str, Fraction]] = {}
    for part in o["--logits"].split(";"):
        s, _, row = part.partition(":")
        e = {}
        for item in row.split(","):
            a, _, v = item.partition("=")
            v = v.strip()
            assert v.startswith("ln(") or v == "0", v
            e[a.strip()] = Fraction(v[3:-1]) if v.startswith("ln(") else Fraction(1)  # e^0
        pi[s.strip()] = {a: x / sum(e.values()) for a, x in e.items()}
    gamma = Fraction(o["--gamma"])
    b = {s: Fraction(0) for s in pi}
    if baseline and "--baseline" in o:
        for kv in o["--baseline"].split(","):
            s, _, v = kv.partition("=")
            b[s.strip()] = Fraction(v)
    tok = o["--trajectory"].split()
    steps = [(tok[i], tok[i + 1], Fraction(tok[i + 2])) for i in range(0, len(tok), 3)]
    T = len(steps)
    G = [sum((gamma**k * steps[t + k][2] for k in range(T - t)), Fraction(0)) for t in range(T)]
    grad = {s: {a: Fraction(0) for a in row} for s, row in pi.items()}
    for t, (s, a, _) in enumerate(steps):
        for c in pi[s]:
            grad[s][c] += (gamma**t if gamma_t else 1) * (G[t] - b[s]) * ((c == a) - pi[s][c])
    return {"returns": G, "gradient": grad}


def gae_ref(
    o: dict[str, str], gamma: Fraction | None = None, lam: Fraction | None = None,
    dones: bool = True,
) -> dict:  # fmt: skip
    """Schulman et al. 2016 eq. 16, the sum form: Â_t = Σ_l (γλ)^l δ_{t+l}, the sum stopping
    after the step that ends an episode; δ_t = r_t + γ(1 − d_t)V(s_{t+1}) − V(s_t)."""
    r, v = fractions(o["--rewards"]), fractions(o["--values"])
    d = fractions(o["--dones"]) if dones else [Fraction(0)] * len(r)
    g = Fraction(o["--gamma"]) if gamma is None else gamma
    lm = Fraction(o["--lambda"]) if lam is None else lam
    T = len(r)
    delta = [r[t] + g * (1 - d[t]) * v[t + 1] - v[t] for t in range(T)]
    adv = []
    for t in range(T):
        total, k = Fraction(0), 0
        while t + k < T:
            total += (g * lm) ** k * delta[t + k]
            if d[t + k]:
                break
            k += 1
        adv.append(total)
    return {"deltas": delta, "advantages": adv}


def ppo_ref(o: dict[str, str], form: str = "right") -> dict:
    """Schulman et al. 2017 eq. 7: L = min(rA, clip(r, 1−ε, 1+ε)A); ∂L/∂r = A where the
    unclipped term rA is the min (ties, r inside [1−ε, 1+ε], included), else 0.
    ``clip-product``: min(rA, clip(rA, 1−ε, 1+ε)); ``no-min``: clip(r, 1−ε, 1+ε)·A."""
    eps = Fraction(o["--eps"])
    lo, hi = 1 - eps, 1 + eps
    clip = lambda x: min(max(x, lo), hi)  # noqa: E731
    objective, gradient = [], []
    for r, a in zip(fractions(o["--ratio"]), fractions(o["--advantage"]), strict=True):
        if form == "right":
            objective.append(min(r * a, clip(r) * a))
            gradient.append(a if r * a <= clip(r) * a else Fraction(0))
        elif form == "clip-product":
            objective.append(min(r * a, clip(r * a)))
            gradient.append(a if r * a <= clip(r * a) else Fraction(0))
        else:
            objective.append(clip(r) * a)
            gradient.append(a if lo <= r <= hi else Fraction(0))
    return {"objective": objective, "gradient": gradient}


def grpo_ref(o: dict[str, str], std: str | None = None, eps: Fraction | None = None) -> dict:
    """DeepSeekMath (Shao et al. 2024) outcome supervision, eq. 3/4's advantages:
    Â_i = (r_i − mean r)/(std r + ε), std over G (population) or G − 1 (sample). The std is
    a Fraction when the variance is a rational square, else a float."""
    r = fractions(o["--rewards"])
    kind = o["--std"] if std is None else std
    e = Fraction(o["--eps"]) if eps is None else eps
    G = len(r)
    mean = sum(r, Fraction(0)) / G
    var = sum(((x - mean) ** 2 for x in r), Fraction(0)) / (G if kind == "population" else G - 1)
    n, d = math.isqrt(var.numerator), math.isqrt(var.denominator)
    sd: Any = (
        Fraction(n, d) if n * n == var.numerator and d * d == var.denominator else math.sqrt(var)
    )
    return {"mean": mean, "std": sd, "advantages": [(x - mean) / (sd + e) for x in r]}


def kl_ref(o: dict[str, str], swap: bool = False) -> dict:
    """KL(p‖q) = Σ_x p ln(p/q); with r = q(x)/p(x) on the samples, the means of Schulman's
    (2020) k1 = −ln r, k2 = ½(ln r)², k3 = (r − 1) − ln r (per /work/shared/LM_RL.md: samples
    from the first distribution, r = other/first). ``swap``: p and q exchanged."""
    p, q = fractions(o["--p"]), fractions(o["--q"])
    if swap:
        p, q = q, p
    kl = sum(float(a) * math.log(a / b) for a, b in zip(p, q, strict=True))
    xs = [int(i) for i in o["--samples"].split(",")]
    logs = [math.log(q[x] / p[x]) for x in xs]
    ratios = [float(q[x] / p[x]) for x in xs]
    return {
        "kl": kl,
        "k1": sum(-lr for lr in logs) / len(xs),
        "k2": sum(lr * lr / 2 for lr in logs) / len(xs),
        "k3": sum((r - 1) - lr for r, lr in zip(ratios, logs, strict=True)) / len(xs),
    }


REFERENCE = {"reinforce": reinforce_ref, "gae": gae_ref, "ppo-clip": ppo_ref,
             "grpo": grpo_ref, "kl": kl_ref}  # fmt: skip


def mistaken(ex: Exercise) -> dict[str, dict]:
    """Each mistake that applies to the exercise's data → the reference's answer with it made
    (the names are the ones the tool reports)."""
    o = options(ex)
    out: dict[str, dict] = {}
    if ex.topic == "reinforce":
        if Fraction(o["--gamma"]) != 1:
            out["γ^t left out in each term"] = reinforce_ref(o, gamma_t=False)
        if "--baseline" in o:
            out["the baseline not subtracted"] = reinforce_ref(o, baseline=False)
    elif ex.topic == "gae":
        if Fraction(o["--lambda"]) != 1:
            out["λ left out (λ = 1: return − V)"] = gae_ref(o, lam=Fraction(1))
        if Fraction(o["--gamma"]) != 1:
            out["γ left out (γ = 1)"] = gae_ref(o, gamma=Fraction(1))
        if any(fractions(o["--dones"])):
            out["the done flags ignored"] = gae_ref(o, dones=False)
    elif ex.topic == "ppo-clip":
        out["the clip applied to r·A instead of to r: min(rA, clip(rA, 1−ε, 1+ε))"] = ppo_ref(
            o, "clip-product"
        )
        out["clip(r, 1−ε, 1+ε)·A alone, without the min with r·A"] = ppo_ref(o, "no-min")
    elif ex.topic == "grpo":
        other = "sample" if o["--std"] == "population" else "population"
        out[f"the {other} std instead of the {o['--std']} std"] = grpo_ref(o, std=other)
        if Fraction(o["--eps"]) != 0:
            out["ε left out of the denominator"] = grpo_ref(o, eps=Fraction(0))
    else:
        out["p and q swapped (KL(q‖p), r = p/q)"] = kl_ref(o, swap=True)
    return out


# ---------------------------------------------------------------- helpers


def cells(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [c for v in node.values() for c in cells(v)]
    if isinstance(node, list):
        return [c for v in node for c in cells(v)]
    return [node]


def agrees(truth: Any, ref: Any) -> bool:
    """A Fraction reference: the truth is that Fraction, exactly; a float reference (a log or
    a square root): the truth is an Inexact within 1e-9 relative."""
    if isinstance(ref, Fraction):
        return isinstance(truth, Fraction) and truth == ref
    return isinstance(truth, Inexact) and math.isclose(truth.value, ref, rel_tol=1e-9)


def answer_text(answer: dict) -> str:
    """Flow YAML: fractions as 3/4, floats to 12 places."""

    def fmt(v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {fmt(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        return str(v) if isinstance(v, Fraction) else f"{v:.12f}"

    return fmt(answer)


def tolerance(ex: Exercise) -> Fraction | None:
    """Exact truths are graded exactly; where a truth is a float (an integer answer would
    count as a 0-digit decimal), within 1e-9."""
    return None if all(isinstance(c, Fraction) for c in cells(ex.solution)) else FLOAT_TOL


def shifted(answer: Any, by: Fraction) -> Any:
    if isinstance(answer, dict):
        return {k: shifted(v, by) for k, v in answer.items()}
    if isinstance(answer, list):
        return [shifted(v, by) for v in answer]
    return answer + by if isinstance(answer, Fraction) else answer + float(by)


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("topic", list(TOPICS))
def test_every_exercise_agrees_with_the_reference(topic):
    for ex in exercises(topic):
        ref = REFERENCE[topic](options(ex))
        assert set(ex.asked) == set(ref)
        # the calc document has exact forms only when all its numbers are exact: with an
        # irrational GRPO std even the mean is given as a float
        inexact = topic == "grpo" and isinstance(ref["std"], float)
        for key in ex.asked:
            got, want = cells(ex.truth[key]), cells(ref[key])
            assert len(got) == len(want), (ex.command, key)
            if inexact:  # integers stay exact; compare everything as floats
                got = [Inexact(g.value if isinstance(g, Inexact) else float(g)) for g in got]
                want = [float(w) for w in want]
            assert all(agrees(g, w) for g, w in zip(got, want, strict=True)), (ex.command, key)


@pytest.mark.parametrize("topic", ["reinforce", "gae", "ppo-clip"])
def test_rational_topics_are_all_exact(topic):
    # softmax of 0 and ln(q) logits, GAE and PPO-clip of short fractions: every answer is a
    # Fraction (the reference above is exact arithmetic)
    for ex in exercises(topic):
        assert all(isinstance(c, Fraction) for c in cells(ex.solution)), ex.command


@pytest.mark.parametrize("topic", list(TOPICS))
def test_rational_answers_are_short(topic):
    rational = 0
    for ex in exercises(topic):
        for c in cells(ex.solution):
            if isinstance(c, Fraction):
                rational += 1
                assert is_short(c), (ex.command, c)
    if topic != "kl":
        assert rational > 0


def test_grpo_has_both_exact_and_square_root_stds():
    stds = [ex.truth["std"] for ex in exercises("grpo")]
    assert any(isinstance(s, Fraction) for s in stds)
    assert any(isinstance(s, Inexact) for s in stds)


@pytest.mark.parametrize("topic", list(TOPICS))
def test_each_mistake_is_diagnosed_and_right_or_unrelated_answers_are_not(topic):
    seen: dict[str, int] = {}
    for ex in exercises(topic):
        ref = REFERENCE[topic](options(ex))
        right = ex.grade(answer_text(ref), tolerance(ex))
        assert right.all_right and not right.diagnoses, ex.command
        unrelated = shifted(ref, Fraction(1000))
        report = ex.grade(answer_text(unrelated), tolerance(ex))
        assert not report.all_right and report.diagnoses == [], ex.command
        for name, wrong in mistaken(ex).items():
            report = ex.grade(answer_text(wrong), tolerance(ex))
            assert not report.all_right, (ex.command, name)
            names = [m.name for d in report.diagnoses for m in d.mistakes]
            assert name in names, (ex.command, name, names)
            seen[name] = seen.get(name, 0) + 1
    # every mistake of the topic comes up in a good share of the 200 exercises
    expected = {"reinforce": 2, "gae": 3, "ppo-clip": 2, "grpo": 3, "kl": 1}[topic]
    assert len(seen) == expected and min(seen.values()) >= 20, seen


@pytest.mark.parametrize("topic", list(TOPICS))
def test_the_command_line_gives_the_truth(topic):
    runner = CliRunner()
    for ex in exercises(topic):
        result = runner.invoke(app, [*shlex.split(ex.command)[1:], "--json"])
        assert result.exit_code == 0, (ex.command, result.output)
        assert worked_document(json.loads(result.stdout)).doc == ex.truth, ex.command


@pytest.mark.parametrize("topic", list(TOPICS))
def test_the_command_grades_a_mistake_as_the_exercise_does(topic):
    # --answer on the command line: the same verdict and diagnosis as Exercise.grade
    ex = next(e for e in exercises(topic) if mistaken(e))
    name, wrong = next(iter(mistaken(ex).items()))
    tol = tolerance(ex)
    args = [*shlex.split(ex.command)[1:], "--answer", answer_text(wrong), "--json"]
    if tol is not None:
        args += ["--tol", "0.000000001"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert [name] in [d["names"] for d in report["diagnoses"]]
    assert ex.grade(answer_text(wrong), tol).diagnoses


@pytest.mark.parametrize("topic", list(TOPICS))
def test_exercise_shape(topic):
    ex = exercises(topic)[0]
    assert ex.files == {} and ex.asked and set(ex.asked) <= set(ex.truth)
    work = ex.work()
    assert len(work) > 3 and all(isinstance(line, str) for line in work)
    # the question states the data the command is given
    for value in options(ex).values():
        for item in value.replace(";", ",").split(","):
            assert item.strip() in ex.question, (item, ex.question)


def test_same_seed_same_exercise_and_unknown_topic():
    a = draw("gae", np.random.default_rng([7, 1]))
    b = draw("gae", np.random.default_rng([7, 1]))
    assert a is not None and a == b
    with pytest.raises(KeyError):
        draw("nope", np.random.default_rng(0))
