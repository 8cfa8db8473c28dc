"""The benchmark suite's options and its summary: after the run, a Markdown table of both
packages' times per call and per token and their ratios (``report.py``)."""

from __future__ import annotations

from typing import Any, List

import pytest

import report


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--bench-order", choices=["ref-first", "ours-first"], default="ref-first",
        help="which package of each case runs first (report.py alternates them between runs)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """Both packages' benchmarks of a case run back to back (``pkg`` is the innermost
    parameter); with ``--bench-order ours-first`` libharmony's comes first."""
    if config.getoption("--bench-order") != "ours-first":
        return
    i = 0
    while i + 1 < len(items):
        a, b = items[i], items[i + 1]
        pa = getattr(a, "callspec", None)
        pb = getattr(b, "callspec", None)
        if pa and pb and "pkg" in pa.params and "pkg" in pb.params and a.originalname == b.originalname \
                and {k: v for k, v in pa.params.items() if k != "pkg"} == {k: v for k, v in pb.params.items() if k != "pkg"}:
            items[i], items[i + 1] = b, a
            i += 2
        else:
            i += 1


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    session = getattr(config, "_benchmarksession", None)
    if session is None or session.disabled:
        return
    benchmarks = [b.as_dict(include_data=False) for b in session.benchmarks if b]
    if not benchmarks:
        return
    terminalreporter.write_sep("-", "ratios (reference time / libharmony time, same run)")
    terminalreporter.write_line(report.markdown(report.rows([benchmarks])))
