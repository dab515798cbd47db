"""Gymnasium in and out. Gymnasium itself is optional (``pip install 'rlcli[gym]'``) and is
imported only inside the functions that need it.

- ``lazy``: importing Gymnasium with an install hint, and ``make`` with checked arguments.
- ``kwargs``: ``--kwargs k=v,...`` text -> constructor arguments, checked against the env.
- ``transition_model``: a toy-text env's ``P[s][a]`` -> an exact table (fractions, duplicate
  outcomes summed, terminal states, readable names).
- ``mdp_text``: that table written as an MDP file (the grid form where the env is a grid).
- ``importer``: the whole ``rlcli mdp import`` pipeline, ``import_env``.
- ``blackjack``: the exact MDP of ``Blackjack-v1`` (an env without ``P``), by recursion in
  fractions; it generates ``problems/blackjack.yaml``. Needs no Gymnasium.
- ``envs``: our tasks as single Gymnasium environments (``rlcli/Gridworld-v0``, ...).
"""
