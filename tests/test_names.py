"""Fresh names for generated code: unique, readable, and cheap however many are handed out."""

import time

from srcgrad.names import Namer


def test_numbered_names_skip_taken_ones():
    namer = Namer({"h", "h_1", "h_3"})
    assert [namer.numbered("h") for _ in range(3)] == ["h_2", "h_4", "h_5"]
    assert namer.fresh("h") == "h_6" and namer.fresh("g") == "g"


def test_many_names_cost_linear_time():
    namer = Namer(set())
    start = time.process_time()
    names = [namer.temporary("t") for _ in range(20000)]
    assert len(set(names)) == 20000
    assert time.process_time() - start < 2.0  # handing out each by counting from 1: minutes
