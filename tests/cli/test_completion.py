"""Completing dataset and stream ids and pipeline names asks the server the command would
talk to."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Run


def complete(cli: Run, words: str, env: dict[str, str | None] | None = None) -> list[str]:
    result = cli(
        prog_name="headwater",
        env={
            "_HEADWATER_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split(" ")) - 1),
            # the 2 s default is for a shell; a test server on a busy machine may need more
            "HEADWATER_COMPLETE_TIMEOUT": "30",
            **(env or {}),
        },
    )
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_dataset_and_stream_ids_complete(cli: Run) -> None:
    first = cli("dataset", "create", "Sales", "-c", "a:LONG").stdout.strip()
    second = cli("dataset", "create", "Costs", "-c", "a:LONG").stdout.strip()
    stream = cli("stream", "create", "Inbox", "-c", "a:STRING").stdout.strip()
    assert set(complete(cli, "headwater dataset show ")) >= {first, second}
    assert complete(cli, f"headwater dataset query {first[:8]}") == [first]
    assert stream in complete(cli, "headwater stream run ")


def test_pipeline_names_complete(cli: Run, tmp_path: Path) -> None:
    program = tmp_path / "p.sql"
    program.write_text("CREATE TABLE t (x BIGINT);")
    for name in ("shop", "shipping", "audit"):
        assert cli("pipeline", "create", name, "--sql", str(program)).exit_code == 0
    assert set(complete(cli, "headwater pipeline start sh")) == {"shop", "shipping"}
    assert complete(cli, "headwater connector pause a") == ["audit"]
    assert set(complete(cli, "headwater connector ls ")) == {"shop", "shipping", "audit"}


def test_completion_offers_nothing_when_the_server_is_away(cli: Run) -> None:
    assert (
        complete(cli, "headwater dataset show ", env={"HEADWATER_URL": "http://127.0.0.1:9"}) == []
    )
