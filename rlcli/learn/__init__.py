"""Learning from sampled experience: MC and TD prediction, TD control, all vectorised over runs.

Modules, one per method family: ``episodes`` (sampling episodes for many runs at once),
``steps`` (learning rows, step sizes, visit masks), ``mc``, ``td``, ``nstep``,
``td_lambda``, ``offpolicy`` (importance sampling), ``batch``, ``control`` (SARSA,
Q-learning, Expected SARSA, Double Q), ``rms`` (error against the exact answer) and
``predict`` (runs a sweep of prediction settings on shared episodes).
"""
