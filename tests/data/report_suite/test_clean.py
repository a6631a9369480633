import pytest

from helpers import check_sorted


def test_sorted_copy(numbers):
    assert sorted(numbers) == [1, 2, 3]


@pytest.mark.parametrize("value, expected", [(1, 2), (2, 3)])
def test_increment(value, expected):
    assert value + 1 == expected


def test_helper_checks(numbers):
    check_sorted(sorted(numbers))


class TestMaximum:
    def test_max(self, numbers):
        assert max(numbers) == 3

    def test_empty_raises(self):
        with pytest.raises(ValueError):
            max([])
