"""Checking a hand-worked answer and naming the mistake behind a wrong one.

- ``numbers``: a given number (exact fraction or d-digit decimal) and the tolerance rule.
- ``answer``: reading an answer (YAML file, inline YAML, or ``A=3/4, B=-1.7``) against the
  truth document's shape; a malformed one raises ``AnswerError`` naming the entry.
- ``grader``: generic grading and diagnosis: a command supplies the truth, its mistake
  catalogue and a recompute-under-mistakes function; a mistake is named only when its
  recomputation reproduces the student's numbers.
- ``documents``: ``replay`` and ``calc`` answers: a command's ``--json`` document as the
  truth (exact strings as Fractions, other numbers ``Inexact``) and its named mistakes
  (recomputations of the document) as the catalogue.
- ``mdp``: ``mdp evaluate`` / ``mdp solve`` exercises in exact fractions, right or with
  the MDP mistakes (sweep order and count, γ, terminal values, reward timing, max vs
  expectation). A new mistake is one ``Mistake`` in ``CATALOGUE`` and its rule in ``MISTAKE_RULES``.
"""
