from unittest import mock

from helpers import Cache


def test_also_needs_service(mock_service):
    assert mock_service.ready


def test_peeks_inside():
    cache = Cache()
    cache.put("a", 1)
    assert cache._store == {"a": 1}


def test_patched():
    with mock.patch("helpers.Cache.put") as put:
        with mock.patch("helpers.check_sorted"):
            Cache().put("a", 1)
    put.assert_called_once_with("a", 1)
