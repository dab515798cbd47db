"""Symbolic derivations behind policy gradients; every step is machine-checked with sympy.

One module per derivation (``log_derivative``, ``policy_gradient``, ``baseline``,
``importance_sampling``, ``ppo_clip``, ``kl``); ``steps`` holds the Step/Derivation
dataclasses and the verifier, ``families`` the closed-form distributions, ``parse`` the
whitelist parser for user expressions. sympy is imported by these modules, so the CLI
imports them only inside its commands.
"""
