"""Experiment tracking (a remote service)."""


def start_run(name):
    raise RuntimeError("no network access to the tracking service")


def finish(run, elapsed):
    raise RuntimeError("no network access to the tracking service")
