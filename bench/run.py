"""Run the benchmarks and write docs/benchmarks.md.

    python -m bench            10M rows (≈0.8 GB CSV), 3 runs each
    python -m bench --quick    1M rows, 3 runs each

Every figure is a median; every comparison a ratio measured in the same run, because this
machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.cases import api_load, connector_run, continuous, query, upload
from bench.data import dataset
from bench.measure import Figure

DOCS = Path(__file__).parent.parent / "docs" / "benchmarks.md"
CONTINUOUS_DOCS = DOCS.with_name("benchmarks-continuous.md")


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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="1M rows instead of 10M")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument(
        "--only",
        choices=["continuous", "query"],
        help="run one case alone (continuous writes its own page; query only prints)",
    )
    args = parser.parse_args()
    if args.only == "continuous":
        _continuous_alone(args.quick, args.runs)
        return
    if args.only == "query":
        print(
            query.table(query.figures(dataset(1_000_000 if args.quick else 10_000_000), args.runs))
        )
        return
    rows = 1_000_000 if args.quick else 10_000_000
    started = time.monotonic()
    data = dataset(rows)
    print(f"data: {rows:,} rows, {data.megabytes:.0f} MB CSV")

    ours = upload.headwater(data, args.runs)
    duck = upload.duckdb_ctas(data, args.runs)
    dlt = upload.dlt_arrow(data, args.runs)
    files = connector_run.file_figures(data, args.runs)
    tables = connector_run.postgres_figures(data, args.runs)
    figures = [*ours, duck, *([dlt] if dlt else []), *files, *tables]
    queries = query.figures(data, args.runs)
    loads = api_load.figures(seconds=3.0 if args.quick else 10.0)
    flows, flow_goals = continuous.run_alone(args.quick, args.runs)
    best_plain = next(f for f in ours if f.variant == "headwater replace plain")
    bounded = next(f for f in ours if f.variant.endswith("1 decode slot"))
    goals = [
        f"- upload vs DuckDB CTAS: {_ratio(best_plain, duck)} (goal ≥ 1.0x)",
        f"- upload vs dlt: {_ratio(best_plain, dlt)} (goal ≥ 2x)",
        f"- peak server RSS: {max(f.peak_rss_mb or 0 for f in ours):.0f} MB at most, "
        f"{bounded.peak_rss_mb or 0:.0f} MB with one decode slot ({_ratio(bounded, duck)} "
        f"DuckDB's rate), for {data.megabytes:.0f} MB (goal ≤ 500 MB per GB)",
        f"- file connector vs DuckDB CTAS: {_ratio(files[0], files[1])}, vs dlt: "
        f"{_ratio(files[0], files[2] if len(files) > 2 else None)}; peak RSS "
        f"{files[0].peak_rss_mb or 0:.0f} MB",
        f"- postgres connector vs ADBC → DuckDB: {_ratio(tables[0], tables[1])}, vs dlt: "
        f"{_ratio(tables[0], tables[2] if len(tables) > 2 else None)}; peak RSS "
        f"{tables[0].peak_rss_mb or 0:.0f} MB",
    ]
    table = (
        f"{_table(figures)}\n\n### Query\n\n{query.table(queries)}\n\n"
        "### API under load (wrk, or Python clients where wrk is missing)\n\n"
        f"{api_load.table(loads)}\n\n### Continuous connectors\n\n{flows}"
    )
    goals.extend(flow_goals)
    print(table)
    print("\n".join(goals))
    DOCS.write_text(
        "# Benchmarks\n\n"
        "Written by `make bench` (`python -m bench`); do not edit by hand. Each figure is the "
        "median of the runs shown; ratios compare figures measured in the same run.\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}; "
        f"{rows:,} rows ({data.megabytes:.0f} MB of CSV); "
        f"{'--quick' if args.quick else 'full'} run took {time.monotonic() - started:.0f} s.\n\n"
        f"{table}\n\n## Against the goals\n\n" + "\n".join(goals) + "\n\n"
        "Upload is timed from the first byte of the first part to the committed version "
        "(10 parts, 4 at a time); DuckDB is `CREATE TABLE AS SELECT * FROM read_csv(...)` into a "
        "file database; dlt loads one Arrow table (read by pyarrow) into DuckDB.\n\n"
        "Connector runs are timed from `POST .../executions` to SUCCESS (REPLACE). "
        "The file case "
        "reads the same CSV with a header line; DuckDB reads it with `read_csv`, dlt gets it as "
        "streamed Arrow batches (its own `read_csv_duckdb` fails on DuckDB 2). "
        "The PostgreSQL case reads a table holding the "
        "same rows; the baselines are ADBC's Arrow stream into a DuckDB CTAS, and dlt's "
        "`sql_table` with the pyarrow backend.\n\n"
        "The API case runs wrk (one thread, 32 keep-alive connections, the token sent by "
        "`bench/cases/wrk_token.lua`) for the time shown per endpoint after a 2 s warm-up, "
        "against a fresh server with 1, then 2 worker processes; wrk shares the two cores "
        "with the server. Server CPU per request is user + system time of all the server's "
        "processes (from /proc) over the run, divided by the requests; `/health` (no token, "
        "no database) is the floor of the HTTP stack.\n"
    )
    print(f"wrote {DOCS}")


def _continuous_alone(quick: bool, runs: int) -> None:
    started = time.monotonic()
    flows, goals = continuous.run_alone(quick, runs)
    print(flows)
    print("\n".join(goals))
    CONTINUOUS_DOCS.write_text(
        "# Benchmarks: continuous connectors\n\n"
        "Written by `python -m bench --only continuous`; do not edit by hand. Each figure is "
        "the median of the runs shown; the ratio compares figures measured in the same run.\n\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}; "
        f"{'--quick' if quick else 'full'} run took {time.monotonic() - started:.0f} s.\n\n"
        f"{flows}\n\n## Against the goals\n\n"
        + "\n".join(goals)
        + "\n\n"
        + (continuous.__doc__ or "").split("\n\n", 1)[1]
    )
    print(f"wrote {CONTINUOUS_DOCS}")
