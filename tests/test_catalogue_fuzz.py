"""Fuzzing the catalogue loader: a mutated file loads or is refused with its file, never crashes.

The mutations start from the real example catalogue (``catalogue/desk.yaml`` and
``catalogue/services/*.yaml``): byte flips, insertions of YAML syntax fragments (complex keys,
anchors and aliases, deep nesting, tabs, NUL, invalid UTF-8, huge numbers and durations, tags),
duplicated lines, deletions and truncation. Every mutated catalogue must either load or raise
:class:`~bpsm.errors.ValidationError` whose every problem names its file and line. The work per
file is bounded by the loader's own limits (size, nesting depth, no aliases), not by a clock.

Run a larger campaign by hand (outside the suite), with a per-file timeout::

    python -m tests.test_catalogue_fuzz --runs 10000 --timeout 10
"""

from __future__ import annotations

import argparse
import random
import signal
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpsm.catalogue import load_catalogue
from bpsm.errors import ValidationError

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "catalogue"
SOURCES: list[Path] = [CATALOGUE / "desk.yaml", *sorted((CATALOGUE / "services").glob("*.yaml"))]

_LAUGHS = b"".join(
    b"l%d: &l%d [%s]\n" % (i, i, b", ".join([b"*l%d" % (i - 1) if i else b"lol"] * 9))
    for i in range(10)
)

#: Pieces of YAML (and of non-YAML) that broke, or could break, a naive loader.
FRAGMENTS: list[bytes] = [
    b"? [a, b]\n: 1\n",
    b"? {a: 1}\n: 2\n",
    b"[a, b]: 1\n",
    b"&a [*a]",
    b"&a {x: *a}",
    b"*a",
    b"&anchor ",
    b"<<: *a\n",
    b"<<: [1, 2]\n",
    b"[" * 1000,
    b"{a: " * 500,
    b"- " * 300,
    b"\t",
    b"\x00",
    b"\xff",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\x1b[31m",
    b"\r",
    b"\xc2\x85",
    b"\xe2\x80\xa8",
    b"99999999999999999999",
    b"9" * 5000,
    b"0x" + b"f" * 5000,
    b"1:" * 1000 + b"1",
    b"P99999999999D",
    b"PT99999999999999999999H",
    b"1e400 weeks",
    b"1e400",
    b".inf",
    b"-.nan",
    b"2020-13-45",
    b"2020-02-30 25:61:61",
    b"!!python/object/apply:os.system ['true']",
    b"!!binary ===",
    b"!!timestamp x",
    b"!!int x",
    b"!!float x",
    b"!!set {a, b}",
    b"!!omap [a: 1]",
    b"!!pairs [a: 1]",
    b"!!str",
    b"!local x",
    b"---\n",
    b"...\n",
    b"%YAML 1.1\n---\n",
    b"%TAG ! tag:example.com,2000:\n---\n",
    b'"\\x"',
    b'"\\uD800"',
    b"'",
    b'"',
    b": ",
    b"- ",
    b"\n  ",
    b"#",
    b"|\n",
    b">-\n",
    b"~",
    b"[]",
    b"{}",
    b"a: b: c",
    b"id: laptop\n",
    b"lead_time: P99999999999D\n",
    b"price: 1e309\n",
    b"every_nth_call: 99999999999999999999999\n",
    b"timezone: ../../etc/passwd\n",
    b"Europe",
    b"EURO",
    b"y" * 300,
    b"x" * 70_000,
    _LAUGHS,
]

Mutation = tuple[str, float, int]


def mutate(original: bytes, mutations: list[Mutation]) -> bytes:
    """Apply ``mutations`` (kind, relative position, argument) to ``original``."""
    data = original
    for kind, where, arg in mutations:
        pos = int(where * len(data))
        if kind == "flip":
            data = data[:pos] + bytes([arg % 256]) + data[pos + 1 :]
        elif kind == "insert":
            data = data[:pos] + FRAGMENTS[arg % len(FRAGMENTS)] + data[pos:]
        elif kind == "insert_line":
            start = data.rfind(b"\n", 0, pos) + 1
            data = data[:start] + FRAGMENTS[arg % len(FRAGMENTS)] + b"\n" + data[start:]
        elif kind == "value":  # replace the value after the next "key:" with a fragment
            colon = data.find(b": ", pos)
            if colon >= 0:
                end = data.find(b"\n", colon)
                end = len(data) if end < 0 else end
                data = data[: colon + 2] + FRAGMENTS[arg % len(FRAGMENTS)] + data[end:]
        elif kind == "duplicate_line":
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end + 1
            data = data[:end] + data[start:end] + data[end:]
        elif kind == "delete":
            data = data[:pos] + data[pos + 1 + arg % 64 :]
        elif kind == "append":
            data = data + b"\n" + FRAGMENTS[arg % len(FRAGMENTS)] + b"\n"
        elif kind == "truncate":
            data = data[:pos]
    return data


KINDS = [
    "flip",
    "insert",
    "insert_line",
    "value",
    "duplicate_line",
    "delete",
    "append",
    "truncate",
]

mutations_strategy = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.floats(min_value=0, max_value=1, allow_nan=False),
        st.integers(min_value=0, max_value=10_000),
    ),
    min_size=1,
    max_size=4,
)


def _stub(source: Path) -> bytes:
    """A small valid stand-in for a service file: its id, names and people, the rest minimal."""
    real = yaml.safe_load(source.read_text(encoding="utf-8"))
    keep = ("id", "name", "department", "owner", "account_manager", "group")
    stub = {key: real[key] for key in keep if key in real}
    stub |= {
        "description": "Stand-in.",
        "keywords": [real["id"]],
        "faq": [{"q": "Why?", "a": "A stand-in."}, {"q": "How?", "a": "Fuzzing."}],
        "quality_levels": [real["quality_levels"][0]],
        "ordering": "Call the desk.",
        "delivery": real["delivery"],
    }
    return yaml.safe_dump(stub, sort_keys=False).encode()


STUBS: dict[str, bytes] = {path.stem: _stub(path) for path in SOURCES[1:]}
_DESK = yaml.safe_load(SOURCES[0].read_text(encoding="utf-8"))
_PRICED = {item["service"] for item in _DESK["recommendations"]["price_list"] if "service" in item}


def _needed(source: Path) -> set[str]:
    """The services a catalogue holding ``source`` needs so that every reference resolves."""
    if source == SOURCES[0]:
        return set(_PRICED)
    real = yaml.safe_load(source.read_text(encoding="utf-8"))
    return _PRICED | set(real.get("alternatives", [])) | {source.stem}


NEEDED: dict[Path, set[str]] = {source: _needed(source) for source in SOURCES}


@contextmanager
def fuzz_folder() -> Iterator[Path]:
    """A folder that :func:`load_mutated` fills with one small, valid catalogue at a time."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "catalogue"
        (root / "services").mkdir(parents=True)
        yield root


def load_mutated(root: Path, source: Path, mutations: list[Mutation]) -> bytes:
    """Load a catalogue in which ``source`` is mutated; the rest is just enough to be valid.

    The catalogue holds ``desk.yaml``, ``source`` and small stand-ins for the services they
    name, so every reference resolves while each load costs little.
    """
    data = mutate(source.read_bytes(), mutations)
    files = {f"{sid}.yaml": STUBS[sid] for sid in NEEDED[source]}
    desk = data if source == SOURCES[0] else SOURCES[0].read_bytes()
    if source != SOURCES[0]:
        files[source.name] = data
    for present in (root / "services").iterdir():
        if present.name not in files:
            present.unlink()
    for name, content in files.items():
        (root / "services" / name).write_bytes(content)
    (root / "desk.yaml").write_bytes(desk)
    load_catalogue(root)
    return data


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_each_fuzz_catalogue_loads_before_any_mutation(source: Path) -> None:
    with fuzz_folder() as root:
        load_mutated(root, source, [])


@pytest.fixture(scope="module")
def fuzz_root() -> Iterator[Path]:
    """One folder for all the examples (a folder per example costs more than the load)."""
    with fuzz_folder() as root:
        yield root


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(SOURCES), mutations=mutations_strategy)
def test_a_mutated_catalogue_file_loads_or_is_refused_with_its_file_named(
    fuzz_root: Path, source: Path, mutations: list[Mutation]
) -> None:
    try:
        load_mutated(fuzz_root, source, mutations)
    except ValidationError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file and problem.line, problem  # no mutation here exceeds the size cap
            assert "\n" not in problem.message, problem


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout


def campaign(runs: int, timeout: float, seed: int) -> Counter[str]:
    """Load ``runs`` randomly mutated catalogues; count the outcomes (refused, traceback, hang)."""
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    signal.signal(signal.SIGALRM, _alarm)
    with fuzz_folder() as root:
        for _ in range(runs):
            source = rng.choice(SOURCES)
            mutations = [
                (rng.choice(KINDS), rng.random(), rng.randrange(10_000))
                for _ in range(rng.randint(1, 4))
            ]
            start = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                load_mutated(root, source, mutations)
                outcomes["loaded"] += 1
            except ValidationError as exc:
                outcomes["refused"] += 1
                if any(not p.file for p in exc.problems):
                    outcomes["problem without file"] += 1
                if any(p.line is None for p in exc.problems):
                    outcomes["problem without line"] += 1
            except _Timeout:
                outcomes["hang"] += 1
            except BaseException as exc:  # counting every crash is the point
                outcomes["traceback"] += 1
                last = traceback.extract_tb(exc.__traceback__)[-1]
                crashes[f"{type(exc).__name__} at {Path(last.filename).name}:{last.lineno}"] += 1
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if time.perf_counter() - start > 1:
                outcomes["over 1 s"] += 1
    for where, count in crashes.most_common():
        print(f"  {count:6d}  {where}")
    return outcomes


def main() -> None:
    """Command line of the hand-run campaign."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per catalogue")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    start = time.perf_counter()
    outcomes = campaign(args.runs, args.timeout, args.seed)
    print(dict(outcomes), f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
