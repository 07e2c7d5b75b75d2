"""The random-program fuzzer on the families of issue 10: aliasing and in-place writes, ``out=``
and other effects, repeated fancy indices, negative literals and nested powers, casts, walrus,
integer reassignment, closures (see corpus/programs.py). Every program's value and gradients
(with respect to every parameter) must match the function itself and central differences, or
srcgrad must refuse it with a SrcgradError naming the file and line.

Derandomized and without an example database, so that the marks below are stable; the long run
(tests/fuzz_long.py) draws many more.
"""

import numpy as np
import pytest
from corpus.programs import FAMILIES, check_program, family_programs
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
                suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])

#: Families whose bug is not fixed on this branch (each reported in /work/findings/fuzz.md):
#: they fail today and must XPASS, then lose their mark, once the engine is fixed.
KNOWN = {}


def _families():
    return [pytest.param(family, marks=pytest.mark.xfail(strict=True, reason=KNOWN[family]))
            if family in KNOWN else family for family in FAMILIES]


@pytest.mark.parametrize("family", _families())
@FUZZ
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_family_programs(family, data, seed, tmp_path_factory):
    source = data.draw(family_programs(family, control_flow=data.draw(st.booleans())),
                       label="source")
    outcome = check_program(source, seed, tmp_path_factory.mktemp("programs"))
    assume(outcome.kind != "invalid")
    event(f"{outcome.kind}: {outcome.category}")  # pytest --hypothesis-show-statistics
    assert outcome.kind != "failure", f"{outcome.detail}\n{source}"
