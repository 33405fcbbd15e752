import threading

import pytest

from classifier.parallel import map_chunks, run_threads


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


def _square_chunk(chunk):
    import os

    return [x * x for x in chunk], os.getpid()


def test_map_chunks_keeps_order_and_forks_for_the_others():
    import os

    results = map_chunks(_square_chunk, [[1, 2], [3], [4, 5, 6]])
    assert [r[0] for r in results] == [[1, 4], [9], [16, 25, 36]]
    assert results[0][1] == os.getpid() and all(r[1] != os.getpid() for r in results[1:])
    assert map_chunks(_square_chunk, [[7]])[0] == ([49], os.getpid())


def test_map_chunks_can_keep_every_chunk_out_of_this_process():
    import os

    from classifier.parallel import fork_available, map_chunks

    pids = map_chunks(lambda chunk: (chunk, os.getpid()), [1, 2, 3], here=False)
    assert [c for c, _ in pids] == [1, 2, 3]
    if fork_available():
        assert os.getpid() not in {p for _, p in pids}
    assert map_chunks(lambda chunk: chunk * 2, [5], here=False) == [10]


def test_workers_die_with_their_parent(tmp_path):
    """A parent killed with SIGKILL mid-work leaves no worker behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import os, time\n"
        "from classifier.parallel import map_chunks\n"
        "def work(chunk):\n"
        "    open(f'{chunk}', 'w').write(str(os.getpid()))\n"
        "    time.sleep(120)\n"
        f"map_chunks(work, [r'{tmp_path}/a', r'{tmp_path}/b', r'{tmp_path}/c'], here=False)\n")
    parent = subprocess.Popen([sys.executable, str(script)])
    deadline = time.time() + 60
    while time.time() < deadline and len(list(tmp_path.glob("[abc]"))) < 3:
        time.sleep(0.1)
    pids = [int(p.read_text()) for p in tmp_path.glob("[abc]") if p.read_text()]
    assert len(pids) == 3
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    time.sleep(1.0)
    def running(pid: int) -> bool:  # a killed child waiting to be reaped (state Z) is not running
        try:
            state = open(f"/proc/{pid}/status").read().split("State:")[1].split()[0]
        except (FileNotFoundError, IndexError):
            return False
        return state != "Z"

    alive = [pid for pid in pids if running(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert alive == []
