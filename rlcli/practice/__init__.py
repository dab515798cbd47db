"""Generated exam practice.

- ``generate``: the topics, and fresh hand-sized MDP exercises from a seed (numbers drawn
  until every answer is a short fraction or a 1-2 digit decimal), with their truth.
- ``sheet``: worksheets in Markdown or LaTeX, solutions in a separate file, data files
  beside them; the ``--json`` form of an exercise.
"""
