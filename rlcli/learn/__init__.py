"""Learning from sampled experience: MC and TD prediction, TD control, all vectorised over runs.

Modules, one per method family: ``episodes`` (sampling), ``mc``, ``td``, ``nstep``,
``td_lambda``, ``offpolicy`` (importance sampling), ``batch``, ``control``, ``rms``
(error against the exact answer) and ``predict`` (runs a sweep of settings).
"""
