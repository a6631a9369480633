"""Training metrics."""


def record(run, step, loss):
    raise RuntimeError("metrics go to the tracking service")
