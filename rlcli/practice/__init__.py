"""Generated exam practice.

- ``exercise``: the ``Exercise`` every topic family returns (data files, the command that
  answers it, the truth, ``grade`` and ``work``) and ``is_short``, the hand-sized rule.
- ``topics``: the registry: ``FAMILIES`` (module names, imported on first use), every
  topic, and ``generate(topic, seed)``, the first hand-sized draw from the topic's stream.
- ``mdp_topics``: sweeps, solves and Bellman equations on a fresh small MDP.
- ``replay_topics``: TD(0), SARSA, Q-learning, first-/every-visit MC, batch TD vs MC,
  n-step TD, the offline λ-return and importance sampling on a tiny experience file.
- ``sheet``: worksheets in Markdown or LaTeX, solutions in a separate file, data files
  beside them; the ``--json`` form of an exercise.
"""
