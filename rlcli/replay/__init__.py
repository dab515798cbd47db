"""Exam questions with given experience: tabular updates worked out step by step, exactly.

Modules: ``numbers`` (exact numbers via the MDP files' whitelist parser), ``experience``
(parsing episodes and transitions, with token positions in errors), ``setup`` (γ, α,
initial values, ``--mdp`` checks), ``tabular`` (TD(0), SARSA, Q-learning, Expected SARSA,
Double Q), ``episodic`` (MC, n-step TD, TD(λ)), ``returns`` (G_t, G_{t:t+n}, G^λ_t),
``batch`` (batch TD/MC fixed points), ``importance`` (ordinary/weighted IS), ``policy``
(policy tables), ``worked`` (the worked-answer data model) and ``run`` (one method → a
``Worked`` answer).
"""
