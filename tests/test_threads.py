import threading

import pytest

from classifier.threads import run_threads


@pytest.mark.parametrize("n_threads", [1, 2, 4])
def test_every_item_runs_once(n_threads):
    seen, lock = [], threading.Lock()

    def fn(item):
        with lock:
            seen.append(item)

    run_threads(fn, range(50), n_threads)
    assert sorted(seen) == list(range(50))


def test_serial_runs_in_order_in_this_thread():
    seen = []
    run_threads(lambda i: seen.append((i, threading.current_thread() is threading.main_thread())), [3, 1, 2], 1)
    assert seen == [(3, True), (1, True), (2, True)]


@pytest.mark.parametrize("n_threads", [1, 2])
def test_errors_are_raised_here(n_threads):
    def fn(item):
        if item == 3:
            raise ValueError("bad item 3")

    with pytest.raises(ValueError, match="bad item 3"):
        run_threads(fn, range(6), n_threads)
