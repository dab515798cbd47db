"""Reading an MDP file: YAML/JSON text -> validated ``MDP``, every problem reported at once.

- ``source``: text -> plain data that remembers line numbers (size and depth limits).
- ``expr``: the whitelist arithmetic parser for ``p``, ``r``, ``gamma`` and parameters.
- ``numbers``: parameters, ``gamma`` and number fields, exact (Fraction) and float.
- ``report``: collecting problems, and the wording shared by every message.
- ``grid``: the compact grid-world form expanded to states and transitions.
- ``transitions``: each state's actions and their outcomes p(s', r | s, a).
- ``policies``: the file's ``start`` distribution and named ``policies``.
- ``load``: the entry point, ``load_mdp`` / ``loads_mdp``.
"""
