"""Simulation environments (the real ones need a GPU simulator)."""


def make_env(name):
    raise RuntimeError(f"environment {name!r} needs the simulator, which is not installed")
