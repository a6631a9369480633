"""A toy reinforcement-learning trainer: a loop that wires many components together."""
