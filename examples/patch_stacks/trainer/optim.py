"""Optimizers and learning-rate schedules."""


def make_optimizer(model, lr):
    raise RuntimeError("no accelerator: cannot allocate optimizer state")


def make_scheduler(optimizer):
    raise RuntimeError("no accelerator: cannot build a schedule")
