"""rlcli: reinforcement-learning exercises and solvers on the command line."""

__version__ = "0.1.0"
