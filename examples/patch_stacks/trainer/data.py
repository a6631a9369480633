"""Experience replay and batching."""


def make_loader(spec):
    raise RuntimeError("the replay buffer lives on a shared volume that is not mounted")
