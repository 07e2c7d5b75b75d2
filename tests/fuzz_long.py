"""The long run of the random-program fuzzer (outside CI): many programs of every family.

From the repository root::

    python tests/fuzz_long.py                      # 10,000 programs, every family
    python tests/fuzz_long.py -n 2000 --seed 7 --family views --family out
    python tests/fuzz_long.py --engine ../main     # the srcgrad of another checkout

Programs are drawn by hypothesis (tests/corpus/programs.py): the families of issue 10 and the
plain random programs, with and without control flow. Each is checked as in the CI fuzz tests
(value against the function itself, gradients against central differences) and in forward mode
(``jvp`` along a random direction against central differences and ``<grad, v>``, ``hvp``
against central differences of the gradient; ``--gradients-only`` leaves these out). Prints the
programs run, those skipped as invalid, those refused (by family and reason), the jvp and hvp
checked and refused (by reason), and the failures, each group with a reproducer minimized by
deleting lines. Exits with status 1 when a failure was found.
"""

from __future__ import annotations

import argparse
import collections
import pathlib
import re
import sys
import tempfile
import time
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _engine(argv) -> str:
    """The checkout whose srcgrad is checked: ``--engine DIR``, else this one."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--engine", default=str(ROOT))
    return parser.parse_known_args(argv)[0].engine


sys.path[:0] = [_engine(sys.argv[1:]), str(ROOT / "tests")]

from corpus.programs import (  # noqa: E402
    FAMILIES,
    Outcome,
    check_program,
    family_programs,
    programs,
    with_helpers,
)
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import srcgrad  # noqa: E402

PLAIN = "plain"  # the random programs of tests/test_straight_line.py


def _strategy(family: str):
    flow = st.booleans()
    if family == PLAIN:
        return flow.flatmap(lambda control_flow: programs(control_flow=control_flow))
    return flow.flatmap(lambda control_flow: family_programs(family, control_flow=control_flow))


def _blocks(lines: list[str], first: int):
    """(start, end) of each line of the function body and of each block (header and body)."""
    for i in range(first, len(lines)):
        indent = len(lines[i]) - len(lines[i].lstrip())
        end = i + 1
        while end < len(lines) and len(lines[end]) - len(lines[end].lstrip()) > indent:
            end += 1
        yield i, end
        if end > i + 1:
            yield i, i + 1  # the header alone (a loop's body run once)


def minimize(source: str, seed: int, category: str, directory, forward: bool = True) -> str:
    """``source`` with lines and blocks deleted as long as the failure (same category) stays."""
    def fails(text):
        try:
            outcome = check_program(text, seed, directory, forward)
        except (SyntaxError, IndentationError):
            return False
        return outcome.kind == "failure" and outcome.category == category

    lines = source.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("def f(")) + 1
    for scalar in sorted(set(re.findall(r"\bs_\d+\b", lines[-1]))):  # return one snippet's
        candidate = lines[:-1] + [f"    return {scalar}"]
        if fails("\n".join(candidate) + "\n"):
            lines = candidate
            break
    changed = True
    while changed:
        changed = False
        for start, end in list(_blocks(lines, first)):
            if lines[start].lstrip().startswith("return"):
                continue
            if end == start + 1 and start + 1 < len(lines) and \
                    lines[start].rstrip().endswith(":"):  # unindent a block's body
                body_end = start + 1
                indent = len(lines[start]) - len(lines[start].lstrip())
                while body_end < len(lines) and \
                        len(lines[body_end]) - len(lines[body_end].lstrip()) > indent:
                    body_end += 1
                candidate = lines[:start] + [line[4:] for line in lines[start + 1:body_end]] \
                    + lines[body_end:]
            else:
                candidate = lines[:start] + lines[end:]
            if fails("\n".join(candidate) + "\n"):
                lines, changed = candidate, True
                break
    body = "\n".join(lines[first - 1:]) + "\n"
    return with_helpers(body)


def _recorder(family, directory, outcomes, refusals, invalid, failures, forward):
    def record(source, program_seed):
        outcome = check_program(source, program_seed, directory, forward is not None)
        outcomes[family][outcome.kind] += 1
        for mode, result in outcome.forward.items():
            forward[mode][result[:150]] += 1
        if outcome.kind == "refused":
            refusals[family][outcome.detail[:110]] += 1
        elif outcome.kind == "invalid":
            invalid[outcome.detail] += 1
        elif outcome.kind == "failure":
            failures[family, outcome.category].append((source, program_seed, outcome))
    return record


def run(count: int, families: list[str], seed: int, minimize_per_group: int,
        check_forward: bool = True) -> int:
    directory = pathlib.Path(tempfile.mkdtemp(prefix="srcgrad-fuzz-"))
    #: per mode (jvp, hvp): "checked", "kink" or "refused: <reason>" -> programs
    forward: dict[str, collections.Counter] | None = \
        collections.defaultdict(collections.Counter) if check_forward else None
    outcomes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    refusals: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    invalid: collections.Counter = collections.Counter()
    failures: dict[tuple[str, str], list[tuple[str, int, Outcome]]] = collections.defaultdict(list)
    started = time.time()
    print(f"checking {srcgrad.__file__}", flush=True)
    per_family = [count // len(families) + (i < count % len(families))
                  for i in range(len(families))]
    for family, examples in zip(families, per_family):
        record = _recorder(family, directory, outcomes, refusals, invalid, failures, forward)

        @hypothesis_seed(seed)
        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(source=_strategy(family), program_seed=st.integers(0, 2 ** 16))
        def draw(source, program_seed):
            record(source, program_seed)

        draw()
        done = sum(outcomes[family].values())
        print(f"{family}: {done} programs, {dict(outcomes[family])} "
              f"({time.time() - started:.0f} s)", flush=True)

    total = collections.Counter()
    for counter in outcomes.values():
        total.update(counter)
    print(f"\n== {sum(total.values())} programs in {time.time() - started:.0f} s: "
          f"{total['ok']} checked and right, {total['refused']} refused, "
          f"{total['invalid']} invalid (skipped), {total['failure']} failures")
    print("\n== invalid (skipped) programs, by reason")
    for reason, n in invalid.most_common():
        print(f"{n:6d}  {reason}")
    print("\n== refused, by family and reason")
    for family in families:
        for reason, n in refusals[family].most_common():
            print(f"{n:6d}  {family}: {reason}")
    if forward is not None:
        for mode in ("jvp", "hvp"):
            results = forward[mode]
            refused = sum(n for r, n in results.items() if r.startswith("refused"))
            print(f"\n== {mode}: {sum(results.values())} run, {results['checked']} checked and "
                  f"right, {refused} refused, {results['kink']} at a kink (not checked); "
                  "refused, by reason")
            for reason, n in results.most_common():
                if reason.startswith("refused"):
                    print(f"{n:6d}  {reason.removeprefix('refused: ')}")
    print("\n== failures, by family and kind")
    for (family, category), group in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        print(f"\n-- {family}: {category} ({len(group)} programs)")
        shown, tried = set(), set()
        for source, program_seed, _ in sorted(group, key=lambda item: len(item[0])):
            if len(shown) == minimize_per_group or len(tried) == 4 * minimize_per_group:
                break
            if source in tried:
                continue
            tried.add(source)
            small = minimize(source, program_seed, category, directory, check_forward)
            if small not in shown:  # distinct reproducers only
                shown.add(small)
                detail = check_program(small, program_seed, directory, check_forward).detail
                print(f"# seed {program_seed}: {detail}\n{small}")
    return 1 if failures else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--programs", type=int, default=10_000,
                        help="how many programs, shared among the families (default 10000)")
    parser.add_argument("--family", action="append", choices=[*FAMILIES, PLAIN],
                        help="a family to run (repeatable; default: all, and plain programs)")
    parser.add_argument("--engine", default=str(ROOT),
                        help="the checkout whose srcgrad to check (default: this one)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis's seed (default 0)")
    parser.add_argument("--minimize", type=int, default=3,
                        help="distinct minimized reproducers shown per group of failures (default 3)")
    parser.add_argument("--gradients-only", action="store_true",
                        help="check values and gradients only, not jvp and hvp")
    options = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # NumPy's warnings on programs that overflow
    return run(options.programs, options.family or [*FAMILIES, PLAIN], options.seed,
               options.minimize, not options.gradients_only)


if __name__ == "__main__":
    sys.exit(main())
