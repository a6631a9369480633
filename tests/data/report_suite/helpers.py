def check_sorted(values):
    assert values == sorted(values)


class Cache:
    def __init__(self):
        self._store = {}

    def put(self, key, value):
        self._store[key] = value
