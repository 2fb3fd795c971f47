"""Run the benchmarks and write docs/benchmarks.md, one page with a section per case.

    python -m bench                    every case: 10M rows (≈0.8 GB CSV), 3 runs each
    python -m bench --quick            every case, small: 1M rows, 3 runs, 1 s API loads,
                                       at 2 workers only, fewer continuous records, the
                                       REPLACE uploads only and no dlt PostgreSQL baseline
    python -m bench --only query       one case (repeatable: --only upload --only api); the
                                       page keeps the other cases' sections as they were

Every figure is a median; every comparison a ratio measured in the same run (in one case's
section), because this machine is shared and noisy. Each section says when it was measured.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import version
from pathlib import Path

from bench.cases import api_load, connector_run, continuous, query, upload
from bench.data import Dataset, dataset
from bench.measure import Figure

DOCS = Path(__file__).parent.parent / "docs" / "benchmarks.md"
CASES = ("upload", "connector", "query", "api", "continuous")


@dataclass(frozen=True)
class Plan:
    """How big a run is: `make bench` (full) or `make bench-quick`."""

    quick: bool
    rows: int
    runs: int
    api_seconds: float
    datagen_records: int
    nats_records: int

    @classmethod
    def of(cls, quick: bool, runs: int | None) -> Plan:
        if quick:
            return cls(True, 1_000_000, runs or 3, 1.0, 100_000, 30_000)
        return cls(False, 10_000_000, runs or 3, 10.0, 2_000_000, 1_000_000)

    @property
    def label(self) -> str:
        return "--quick" if self.quick else "full"


@dataclass(frozen=True)
class Section:
    """One case's part of the page: its tables, its goals and how it was measured."""

    case: str
    title: str
    body: str
    goals: list[str]
    notes: str = ""
    data: Dataset | None = None  # the benchmark data it read, if any


def _ratio(numerator: Figure | None, denominator: Figure | None) -> str:
    if numerator is None or denominator is None:
        return "n/a"
    return f"{numerator.rate / denominator.rate:.2f}x"


def _table(figures: list[Figure]) -> str:
    lines = [
        "| case | variant | median s | MB | MB/s | peak RSS MB | runs |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        rss = f"{f.peak_rss_mb:.0f}" if f.peak_rss_mb is not None else "-"
        lines.append(
            f"| {f.case} | {f.variant} | {f.seconds:.2f} | {f.megabytes:.0f} | "
            f"{f.rate:.0f} | {rss} | {f.runs} |"
        )
    return "\n".join(lines)


def _machine() -> str:
    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("headwater", "duckdb", "deltalake", "pyarrow", "fastapi", "uvicorn")
    )
    try:
        packages += f", dlt {version('dlt')}"
    except Exception:
        packages += ", dlt not installed"
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{packages}"
    )


# -- the cases -------------------------------------------------------------------------------
def _upload(plan: Plan, dataset_of: Callable[[], Dataset]) -> Section:
    data = dataset_of()
    ours = upload.headwater(
        data, plan.runs, upload.QUICK_VARIANTS if plan.quick else upload.VARIANTS
    )
    duck = upload.duckdb_ctas(data, plan.runs)
    dlt = upload.dlt_arrow(data, plan.runs)
    best_plain = next(f for f in ours if f.variant == "headwater replace plain")
    bounded = next(f for f in ours if f.variant.endswith("1 decode slot"))
    goals = [
        f"- upload vs DuckDB CTAS: {_ratio(best_plain, duck)} (goal ≥ 1.0x)",
        f"- upload vs dlt: {_ratio(best_plain, dlt)} (goal ≥ 2x)",
        f"- peak server RSS: {max(f.peak_rss_mb or 0 for f in ours):.0f} MB at most, "
        f"{bounded.peak_rss_mb or 0:.0f} MB with one decode slot ({_ratio(bounded, duck)} "
        f"DuckDB's rate), for {data.megabytes:.0f} MB (goal ≤ 500 MB per GB)",
    ]
    notes = (
        "Upload is timed from the first byte of the first part to the committed version "
        "(10 parts, 4 at a time); DuckDB is `CREATE TABLE AS SELECT * FROM read_csv(...)` into a "
        "file database; dlt loads one Arrow table (read by pyarrow) into DuckDB."
    )
    figures = [*ours, duck, *([dlt] if dlt else [])]
    return Section("upload", "Upload", _table(figures), goals, notes, data)


def _connector(plan: Plan, dataset_of: Callable[[], Dataset]) -> Section:
    data = dataset_of()
    files = connector_run.file_figures(data, plan.runs)
    tables = connector_run.postgres_figures(data, plan.runs, with_dlt=not plan.quick)
    goals = [
        f"- file connector vs DuckDB CTAS: {_ratio(files[0], files[1])}, vs dlt: "
        f"{_ratio(files[0], files[2] if len(files) > 2 else None)}; peak RSS "
        f"{files[0].peak_rss_mb or 0:.0f} MB",
        f"- postgres connector vs ADBC → DuckDB: {_ratio(tables[0], tables[1])}, vs dlt: "
        f"{_ratio(tables[0], tables[2] if len(tables) > 2 else None)}; peak RSS "
        f"{tables[0].peak_rss_mb or 0:.0f} MB",
    ]
    notes = (
        "Connector runs are timed from `POST .../executions` to SUCCESS (REPLACE). The file case "
        "reads the same CSV as the upload case, with a header line; DuckDB reads it with "
        "`read_csv`, dlt gets it as streamed Arrow batches (its own `read_csv_duckdb` fails on "
        "DuckDB 2). The PostgreSQL case reads a table holding the same rows; the baselines are "
        "ADBC's Arrow stream into a DuckDB CTAS, and dlt's `sql_table` with the pyarrow backend."
    )
    return Section("connector", "Connector runs", _table([*files, *tables]), goals, notes, data)


def _query(plan: Plan, dataset_of: Callable[[], Dataset]) -> Section:
    data = dataset_of()
    found = query.figures(data, plan.runs)
    notes = (query.__doc__ or "").strip()
    return Section("query", "Query", query.table(found), [], notes, data)


def _api(plan: Plan, _dataset_of: Callable[[], Dataset]) -> Section:
    workers = (2,) if plan.quick else api_load.WORKERS  # --quick: the 2-core configuration
    loads = api_load.figures(seconds=plan.api_seconds, workers=workers, runs=plan.runs)
    notes = f"{plan.api_seconds:g} s of load per endpoint. " + (api_load.__doc__ or "").strip()
    title = "API under load (wrk, or Python clients where wrk is missing)"
    return Section("api", title, api_load.table(loads), [], notes)


def _continuous(plan: Plan, _dataset_of: Callable[[], Dataset]) -> Section:
    flows = [
        continuous.datagen_figure(plan.datagen_records, plan.runs),
        *continuous.nats_figures(plan.nats_records, plan.runs),
    ]
    notes = (continuous.__doc__ or "").strip()
    return Section(
        "continuous",
        "Continuous connectors",
        continuous.table(flows),
        continuous.goals(flows),
        notes,
    )


RUNNERS: dict[str, Callable[[Plan, Callable[[], Dataset]], Section]] = {
    "upload": _upload,
    "connector": _connector,
    "query": _query,
    "api": _api,
    "continuous": _continuous,
}


# -- the page --------------------------------------------------------------------------------
def _begin(case: str) -> str:
    return f"<!-- bench:{case} -->"


def _end(case: str) -> str:
    return f"<!-- /bench:{case} -->"


def _render(section: Section, plan: Plan, seconds: float) -> str:
    data = section.data
    size = f"; {data.rows:,} rows ({data.megabytes:.0f} MB of CSV)" if data else ""
    goals = "\n\nAgainst the goals:\n\n" + "\n".join(section.goals) if section.goals else ""
    notes = f"\n\n{section.notes}" if section.notes else ""
    return (
        f"{_begin(section.case)}\n## {section.title}\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}{size}; "
        f"{plan.label} run, {plan.runs} run(s) per figure, took {seconds:.0f} s.\n\n"
        f"{section.body}{goals}{notes}\n{_end(section.case)}"
    )


def _kept_sections(page: str) -> dict[str, str]:
    """The sections of an existing page, by case, so that `--only` replaces just its own."""
    kept = {}
    for case in CASES:
        found = re.search(
            re.escape(_begin(case)) + r".*?" + re.escape(_end(case)), page, flags=re.DOTALL
        )
        if found:
            kept[case] = found.group(0)
    return kept


def write_page(rendered: dict[str, str], last_run: str) -> None:
    sections = _kept_sections(DOCS.read_text()) if DOCS.exists() else {}
    sections.update(rendered)
    DOCS.write_text(
        "# Benchmarks\n\n"
        "Written by `make bench` (`python -m bench`); do not edit by hand. Each figure is the "
        "median of the runs shown; ratios compare figures measured in the same run, within one "
        "section. `python -m bench --only CASE` measures one case again and replaces only its "
        f"section.\n\nLast run: {last_run}.\n\n"
        + "\n\n".join(sections[case] for case in CASES if case in sections)
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1M rows, 1 run, 1 s of API load, 100k/50k continuous records",
    )
    parser.add_argument("--runs", type=int, help="runs per figure (median); 3, or 1 with --quick")
    parser.add_argument(
        "--only", action="append", choices=CASES, help="run this case alone (repeatable)"
    )
    args = parser.parse_args()
    plan = Plan.of(args.quick, args.runs)
    cases = [case for case in CASES if case in (args.only or CASES)]
    started = time.monotonic()

    @cache
    def data() -> Dataset:
        made = dataset(plan.rows)
        print(f"data: {plan.rows:,} rows, {made.megabytes:.0f} MB CSV")
        return made

    rendered = {}
    for case in cases:
        began = time.monotonic()
        print(f"-- {case}", flush=True)
        section = RUNNERS[case](plan, data)
        rendered[case] = _render(section, plan, time.monotonic() - began)
        print(section.body)
        print("\n".join(section.goals), flush=True)
    last_run = (
        f"`{' '.join(['python -m bench', *sys.argv[1:]])}`, {time.monotonic() - started:.0f} s"
    )
    write_page(rendered, last_run)
    print(f"wrote {DOCS}; {last_run}")
