"""A tiny NumPy network library: tanh MLPs with manual backprop, Adam, categorical policies."""
