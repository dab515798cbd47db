"""The grader behind ``--answer``: check a hand-worked answer against what a command computes.

Modules: ``answer`` (reading an answer: a YAML file or inline text, every number kept as
the text the student wrote), ``compare`` (one number: fractions exactly, a decimal with d
digits right when it is the truth correctly rounded to d digits, or ``--tol``) and
``grade`` (walking the answer against the command's JSON document, naming a mistake only
when recomputing with it reproduces the student's numbers). See DESIGN.md "Answers".
"""
