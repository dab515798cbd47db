"""MDP files and their exact answers.

- ``model``: the validated ``MDP`` (names plus flat, sparse-friendly arrays) every command uses.
- ``policy``: a policy given on the command line (a file's named policy, ``uniform``, inline).
- ``read/``: reading a file into an ``MDP``: text and line numbers, the expression parser,
  numbers and parameters, grid expansion, transitions, named policies, validation.
- ``solve/``: answering it: policy evaluation (linear system or sweeps), policy and value
  iteration, greedy policies, linear solvers, exact and symbolic solving, Bellman equations.
"""
