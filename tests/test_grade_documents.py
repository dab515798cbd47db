"""The replay/calc adapter onto the one grader: a ``--json`` document as the truth tree
(exact strings win, other numbers are ``Inexact``, non-results skipped) and named mistakes
as a catalogue that is tried one mistake at a time."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from rlcli.errors import RlcliError, UsageError
from rlcli.grade.documents import document_mistakes, grade_document, worked_document
from rlcli.grade.grader import first_difference
from rlcli.grade.numbers import Inexact

DOC = {
    "calc": "x",
    "values": {"A": 0.75, "B": 0.333},
    "exact": {"A": "3/4", "advantages": [None, "2"]},
    "q": {"A": {"left": 0.5}},
    "q_exact": {"A": {"left": "1/2"}},
    "kl": 0.1,
    "advantages": [1.5, 2.0],
    "flags": [True],
    "mixed": [1, "a"],
    "steps": [{"label": "t=0", "value": 1}],
    "notes": ["a note"],
}


def test_truth_tree_prefers_exact_strings_and_skips_non_results():
    tree = worked_document(DOC).doc
    assert tree == {
        "values": {"A": F(3, 4), "B": Inexact(0.333)},  # B has no exact form
        "q": {"A": {"left": F(1, 2)}},
        "kl": Inexact(0.1),
        "advantages": [Inexact(1.5), F(2)],  # exact.advantages[0] is None: the float
    }  # flags (true/false), mixed (a text item), steps, notes, calc, exact: not graded


def test_a_decimal_against_a_float_truth_is_graded_by_rounding():
    # B = 0.333 (float): 0.33 is its rounding to 2 digits, 1/3 is 3.3e-4 away (> 1e-9 relative)
    report = grade_document(DOC, "values: {A: 3/4, B: 0.33}", None)
    assert report.all_right
    report = grade_document(DOC, "values: {B: 1/3}", None)
    assert [c.ok for c in report.cells] == [False]


def test_named_mistakes_are_tried_alone_and_skipped_when_they_do_not_apply():
    def refuses() -> dict:
        raise UsageError("does not apply")

    wrong = {**DOC, "kl": 0.2}
    catalogue, recompute = document_mistakes({"KL doubled (γ = 1)": lambda: wrong,
                                              "refused": refuses})  # fmt: skip
    assert [m.key for m in catalogue] == ["kl-doubled-γ-1", "refused"]
    assert recompute((catalogue[1],)) is None
    assert recompute((catalogue[0], catalogue[1])) is None
    assert recompute((catalogue[0],)).doc["kl"] == Inexact(0.2)
    report = grade_document(DOC, "kl: 0.2", None, {"KL doubled (γ = 1)": lambda: wrong})
    assert not report.all_right
    assert [d.mistakes[0].name for d in report.diagnoses] == ["KL doubled (γ = 1)"]
    assert report.diagnoses[0].first_difference == "in the results: kl = 0.2 instead of 0.1"


def test_an_unknown_key_is_refused_naming_it():
    with pytest.raises(RlcliError, match="'steps' is none of them"):
        grade_document(DOC, "steps: 1", None)


def test_first_difference_walks_the_update_rows_of_both_workings():
    """Rows with ``update``/``new`` are steps matched by label: the first one whose value
    differs, or that one working makes and the other does not, is named."""

    def doc(rows: list[tuple[str, str]], final: str) -> dict:
        steps = [{"label": lab, "update": "V(A)", "new": 1.0, "exact": {"new": new},
                  "state": "A", "next_state": "B"} for lab, new in rows]  # fmt: skip
        return {"values": {"A": 0.0}, "exact": {"A": final}, "steps": steps}

    right = worked_document(doc([("t=0", "1/2"), ("t=1", "3/4")], "3/4"))
    changed = worked_document(doc([("t=0", "1/2"), ("t=1", "1")], "1"))
    extra = worked_document(doc([("t=0", "1/2"), ("t=½", "5/8"), ("t=1", "3/4")], "3/4"))
    missing = worked_document(doc([("t=0", "1/2")], "1/2"))
    assert (
        first_difference(right, changed) == "update 2, t=1 (A→B): V(A) = 1 instead of 3/4 (= 0.75)"
    )
    assert first_difference(right, extra) == (
        "update 2, t=½ (A→B): V(A) = 5/8 (= 0.625) in yours, not in the right working"
    )
    assert first_difference(right, missing) == (
        "update 2, t=1 (A→B): V(A) = 3/4 (= 0.75) in the right working, left out in yours"
    )
    # a working without update rows (a batch solution) is compared in the results only
    batch = worked_document({"values": {"A": 0.0}, "exact": {"A": "1"}})
    assert first_difference(right, batch) == "in the results: values.A = 1 instead of 3/4 (= 0.75)"
    # and the grader reports it for a mistaken answer
    report = grade_document(doc([("t=0", "1/2"), ("t=1", "3/4")], "3/4"), "A=1", None,
                            {"m": lambda: doc([("t=0", "1/2"), ("t=1", "1")], "1")})  # fmt: skip
    assert report.diagnoses[0].first_difference == (
        "update 2, t=1 (A→B): V(A) = 1 instead of 3/4 (= 0.75)"
    )


def test_a_calc_working_is_compared_row_by_row_by_every_number():
    """calc rows have no ``update``: each row's numbers are a step, read the same way for
    the mistaken document (which need not carry the ``calc`` key)."""

    def gae(deltas: list[str], advantage: str) -> dict:
        rows = [{"label": f"δ_{t}", "t": t, "delta": float(F(d)), "exact": {"delta": d}}
                for t, d in enumerate(deltas)]  # fmt: skip
        rows.append({"label": "Â_0", "t": 0, "advantage": float(F(advantage)),
                     "exact": {"advantage": advantage}})  # fmt: skip
        return {"advantages": [float(F(advantage))], "exact": {"advantages": [advantage]},
                "steps": rows}  # fmt: skip

    right = {"calc": "gae", **gae(["-1", "1/2"], "-3/4")}
    mistaken = gae(["0", "1"], "1")  # γ left out: δ_0 = 0 + 1·2 − 2 = 0, ...
    report = grade_document(right, "advantages: [1]", None, {"γ left out": lambda: mistaken})
    assert report.diagnoses[0].first_difference == "step 1, δ_0: delta = 0 instead of -1"
    # a replay document (no calc key) keeps batch-style rows out of the steps
    assert len(worked_document(gae(["0"], "1")).steps) == 1
