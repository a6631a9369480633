import time


def parse(text):
    return text.split(",")


def test_no_assertion():
    parse("a,b")


def test_placeholder():
    pass


def test_trivial():
    assert True


def test_duplicate():
    assert parse("a") == ["a"]


def test_duplicate():
    assert parse("a,b") == ["a", "b"]


def test_waits():
    time.sleep(0.01)
    assert parse("") == [""]


def test_long():
    total = 0
    assert total + 0 == 0 + total
    assert total + 1 == 1 + total
    assert total + 2 == 2 + total
    assert total + 3 == 3 + total
    assert total + 4 == 4 + total
    assert total + 5 == 5 + total
    assert total + 6 == 6 + total
    assert total + 7 == 7 + total
    assert total + 8 == 8 + total
    assert total + 9 == 9 + total
    assert total + 10 == 10 + total
    assert total + 11 == 11 + total
    assert total + 12 == 12 + total
    assert total + 13 == 13 + total
    assert total + 14 == 14 + total
    assert total + 15 == 15 + total
    assert total + 16 == 16 + total
    assert total + 17 == 17 + total
    assert total + 18 == 18 + total
    assert total + 19 == 19 + total
    assert total + 20 == 20 + total
    assert total + 21 == 21 + total
    assert total + 22 == 22 + total
    assert total + 23 == 23 + total
    assert total + 24 == 24 + total
    assert total + 25 == 25 + total
    assert total + 26 == 26 + total
    assert total + 27 == 27 + total
    assert total + 28 == 28 + total
    assert total + 29 == 29 + total
    assert total + 30 == 30 + total
    assert total + 31 == 31 + total
    assert total + 32 == 32 + total
    assert total + 33 == 33 + total
    assert total + 34 == 34 + total
    assert total + 35 == 35 + total
    assert total + 36 == 36 + total
    assert total + 37 == 37 + total
    assert total + 38 == 38 + total
    assert total + 39 == 39 + total
    assert total + 40 == 40 + total
    assert total + 41 == 41 + total
    assert total + 42 == 42 + total
    assert total + 43 == 43 + total
    assert total + 44 == 44 + total
    assert total + 45 == 45 + total
    assert total + 46 == 46 + total
    assert total + 47 == 47 + total
    assert total + 48 == 48 + total
    assert total + 49 == 49 + total
    assert total + 50 == 50 + total
    assert total + 51 == 51 + total


def test_needs_service(mock_service):
    assert mock_service.ready


def test_fine():
    assert parse("x|y") == ["x|y"]
