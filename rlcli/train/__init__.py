"""Policy-gradient training in plain NumPy: REINFORCE, A2C (GAE), PPO and GRPO."""
