"""Learning from sampled experience: MC and TD prediction, TD control, all vectorised over runs.

Modules:

- ``methods``: the names of the methods and variants (no NumPy: the CLI lists them);
- ``episodes``: sampling episodes for many runs at once, in chunks of many episodes;
  ``reach``: which states episodes visit and whether they end; ``errors``: messages that
  name a setting's field;
- prediction, one module per method family: ``steps`` (learning rows, step sizes, visit
  masks), ``visits`` (a chunk's one-value-per-visit updates applied in rounds), ``stream``
  (TD(0) and MC rows over each run's episodes as one stream of steps, one loop for both),
  ``mc``, ``td``, ``nstep``, ``td_lambda``, ``offpolicy`` (importance sampling), ``batch``
  (batch TD/MC, a chunk of episodes per batched solve), ``rms`` (error against the exact
  answer, after each episode of a chunk too) and ``predict`` (runs a sweep of prediction
  settings on shared episodes);
- control: ``actions`` (action-value tables and their ε-greedy/greedy policies),
  ``targets`` (the one-step TD targets), ``td_control`` (SARSA, Q-learning, Expected
  SARSA, Double Q) and ``control`` (runs a sweep of control settings, scores the result).
"""
