"""Checkpoints on disk."""
import json
import os


def load_latest(run_dir):
    path = os.path.join(run_dir, "latest.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)


def save(run_dir, state):
    with open(os.path.join(run_dir, "latest.json"), "w") as fh:
        json.dump(state, fh)
