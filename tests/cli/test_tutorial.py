"""docs/tutorial.md, run: every `headwater` command in it, in order, against a real server with
its scheduler and supervisor running, each checked to succeed, a few checked for what they
print.

How the page is read (keep the tutorial within these rules):

- Its fenced `sh` blocks run in order. A block right after the comment
  `<!-- tutorial: not run ... -->` is not run; it may hold only `make run` (the test starts its
  own server) and `source .venv/bin/activate` (the test has the command already).
- A line starting with `headwater` (continued with a trailing backslash) goes through Typer's
  runner, in process. So does `NAME=$(headwater ...)`, whose standard output, stripped,
  becomes the variable `NAME` for the lines after it, as in a shell. The arguments are expanded
  by bash itself (`printf '%s\\0'`), so quoting and `"$NAME"` mean what they mean in a
  terminal.
- Every other line (files written with heredocs, `mkdir`, `sleep`) runs in bash with the same
  variables. All of it runs in one working directory whose `headwater-data/` is the server's
  data directory, as `make run` has it.
- `http://127.0.0.1:8080` stands for the test server's address, and `login` is given the
  admin token at its prompt; no `HEADWATER_URL` or `HEADWATER_TOKEN` is set, so every command
  after `login` uses the profile it saved.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import Result

from headwater.settings import PipelineSettings, Settings
from tests.cli.conftest import Run
from tests.conftest import ADMIN_TOKEN
from tests.support.live_server import LiveServer

TUTORIAL = Path(__file__).parents[2] / "docs" / "tutorial.md"
DOC_URL = "http://127.0.0.1:8080"
NOT_RUN = "<!-- tutorial: not run"
ALLOWED_NOT_RUN = {"make run", "source .venv/bin/activate"}
BLOCK = re.compile(
    r"(?P<marker><!-- tutorial: not run[^\n]*-->\s*\n)?```sh\n(?P<body>.*?)```", re.S
)
ASSIGN = re.compile(r"^(?P<name>[A-Za-z_]\w*)=\$\(headwater\s+(?P<args>.*)\)$", re.S)
HEREDOC = re.compile(r"<<-?\s*'?(?P<end>\w+)'?")


@dataclass
class Step:
    """One thing to run: a `headwater` command (`args`, maybe assigned to `name`) or a shell
    script."""

    line: int
    args: str | None = None
    name: str | None = None
    script: str | None = None


def blocks(text: str) -> list[tuple[bool, str, int]]:
    """(run it?, body, first line number) of each `sh` block."""
    found = []
    for match in BLOCK.finditer(text):
        line = text[: match.start("body")].count("\n") + 1
        found.append((match["marker"] is None, match["body"], line))
    return found


def steps(body: str, first_line: int) -> list[Step]:
    lines = body.splitlines()
    out: list[Step] = []
    shell: list[str] = []
    shell_line = first_line

    def flush() -> None:
        if shell:
            out.append(Step(line=shell_line, script="\n".join(shell)))
            shell.clear()

    i = 0
    while i < len(lines):
        start = i
        logical = lines[i]
        while logical.endswith("\\") and i + 1 < len(lines):
            i += 1
            logical = logical[:-1] + " " + lines[i].strip()
        i += 1
        text = logical.strip()
        if heredoc := HEREDOC.search(text):
            while i < len(lines) and lines[i].strip() != heredoc["end"]:
                logical += "\n" + lines[i]
                i += 1
            logical += "\n" + lines[i]  # the terminator
            i += 1
        if text.startswith("headwater "):
            flush()
            out.append(Step(line=first_line + start, args=text.removeprefix("headwater ")))
        elif assigned := ASSIGN.match(text):
            flush()
            out.append(Step(line=first_line + start, args=assigned["args"], name=assigned["name"]))
        else:
            if not shell:
                shell_line = first_line + start
            assert "$(headwater" not in text, f"line {first_line + start}: only NAME=$(...)"
            shell.append(logical)
    flush()
    return out


def argv(args: str, variables: dict[str, str], cwd: Path) -> list[str]:
    """The arguments as bash expands them."""
    script = 'emit() { printf "%s\\0" "$@"; }; emit ' + args
    done = subprocess.run(
        ["bash", "-c", script], env=variables, cwd=cwd, capture_output=True, check=True
    )
    return done.stdout.decode().split("\0")[:-1]


def records(output: str) -> int:
    found = re.search(r"^records\s+([\d,]+)", output, re.M)
    assert found, output
    return int(found[1].replace(",", ""))


def until(again: Callable[[], Result], ok: Callable[[Result], bool], what: str) -> Result:
    """Run a command again until its output shows `ok`, as a person would."""
    deadline = time.monotonic() + 60
    while True:
        result = again()
        assert result.exit_code == 0, result.output
        if ok(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last output:\n{result.output}")
        time.sleep(0.5)


@dataclass
class Checks:
    """What a few commands must print. Keyed by the command's words and the how-manieth time
    it appears; every key must be met, so a tutorial that drops a command fails here."""

    seen: dict[str, int] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    paused_at: int = 0

    def __call__(self, words: list[str], result: Result, again: Callable[[], Result]) -> None:
        command = " ".join(itertools.takewhile(lambda w: not w.startswith("-"), words[:2]))
        count = self.seen.get(command, 0)
        self.seen[command] = count + 1
        check = getattr(self, f"{command.replace(' ', '_').replace('-', '_')}_{count}", None)
        if check is not None:
            check(result, again)
            self.done.add(check.__name__)

    def login_0(self, result: Result, again: Callable[[], Result]) -> None:
        assert "logged in to" in result.stderr
        assert "as admin" in result.stderr

    def dataset_upload_0(self, result: Result, again: Callable[[], Result]) -> None:
        assert "SUCCESS: 3 rows" in result.stderr

    def dataset_query_0(self, result: Result, again: Callable[[], Result]) -> None:
        assert re.search(r"north\s+│\s+50\b", result.stdout), result.stdout
        assert re.search(r"south\s+│\s+17\b", result.stdout), result.stdout

    def stream_show_0(self, result: Result, again: Callable[[], Result]) -> None:
        assert "0/10 * * * * ? (ACTIVE)" in result.stdout
        assert re.search(r"next run\s+20\d\d-\d\d-\d\d \d\d:\d\d:[0-5]0", result.stdout)

    def stream_history_0(self, result: Result, again: Callable[[], Result]) -> None:
        until(
            again,
            lambda r: bool(re.search(r"SUCCESS\s+│\s+AUTOMATED", r.stdout)),
            "a scheduled run",
        )

    def stream_schedule_0(self, result: Result, again: Callable[[], Result]) -> None:
        assert "(PAUSED); next run none" in result.stderr

    def pipeline_start_0(self, result: Result, again: Callable[[], Result]) -> None:
        assert "pipeline shop: Running" in result.stderr

    def pipeline_stats_0(self, result: Result, again: Callable[[], Result]) -> None:
        assert re.search(r"clicks\s+│\s+gen\s+│\s+Running", result.stdout), result.stdout

    def connector_stats_0(self, result: Result, again: Callable[[], Result]) -> None:
        assert re.search(r"^state\s+Paused", result.stdout, re.M), result.stdout

    def connector_stats_1(self, result: Result, again: Callable[[], Result]) -> None:
        """Paused, the count holds: two readings a second apart agree."""
        assert re.search(r"^state\s+Paused", result.stdout, re.M)
        last = records(result.stdout)
        while True:
            time.sleep(1.0)
            now = records(again().stdout)
            if now == last:
                break
            last = now  # its last batch was still being committed
        self.paused_at = now

    def connector_stats_2(self, result: Result, again: Callable[[], Result]) -> None:
        assert re.search(r"^state\s+Running", result.stdout, re.M), result.stdout
        until(again, lambda r: records(r.stdout) > self.paused_at, "the count to grow again")

    def pipeline_query_0(self, result: Result, again: Callable[[], Result]) -> None:
        clicks = [int(n) for n in re.findall(r"│\s+(\d+)\s*$", result.stdout, re.M)]
        assert len(clicks) == 3, result.stdout  # pages r1..r3: the range's end is left out
        assert sum(clicks) > self.paused_at

    def pipeline_stop_0(self, result: Result, again: Callable[[], Result]) -> None:
        assert "pipeline shop: Stopped" in result.stderr


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "checkout"
    path.mkdir()
    return path


@pytest.fixture
def settings(settings: Settings, workdir: Path) -> Settings:
    return settings.model_copy(
        update={
            "data_dir": workdir / "headwater-data",  # where `make run` keeps it
            "pipelines": PipelineSettings(commit_interval_seconds=0.2, poll_seconds=0.1),
        }
    )


def test_the_page_follows_the_rules() -> None:
    found = blocks(TUTORIAL.read_text())
    skipped = [body for run, body, _ in found if not run]
    assert {line.strip() for body in skipped for line in body.splitlines() if line.strip()} <= (
        ALLOWED_NOT_RUN
    )
    commands = [s for run, body, line in found if run for s in steps(body, line) if s.args]
    assert len(commands) >= 20
    for step in (s for run, body, line in found if run for s in steps(body, line)):
        assert step.script is None or "headwater " not in step.script.replace(
            "headwater-data", ""
        ), f"line {step.line}: a headwater command the test would not run"


def test_every_command_of_the_tutorial(
    cli: Run, running: LiveServer, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    variables = {"PATH": os.environ["PATH"], "HOME": str(workdir)}
    checks = Checks()
    env: dict[str, str | None] = {"HEADWATER_URL": None, "HEADWATER_TOKEN": None}
    for run, body, first_line in blocks(TUTORIAL.read_text()):
        if not run:
            continue
        for step in steps(body, first_line):
            where = f"docs/tutorial.md line {step.line}"
            if step.script is not None:
                done = subprocess.run(
                    ["bash", "-e", "-c", step.script],
                    env=variables,
                    cwd=workdir,
                    capture_output=True,
                    text=True,
                )
                assert done.returncode == 0, f"{where}: {done.stderr}"
                continue
            assert step.args is not None
            words = argv(step.args.replace(DOC_URL, running.url), variables, workdir)
            prompt = ADMIN_TOKEN + "\n" if words[0] == "login" else None

            def again(words: list[str] = words, prompt: str | None = prompt) -> Result:
                return cli(*words, env=env, input=prompt)

            result = again()
            assert result.exit_code == 0, f"{where}: headwater {' '.join(words)}\n{result.output}"
            if step.name:
                variables[step.name] = result.stdout.strip()
            checks(words, result, again)
    expected = {name for name in dir(Checks) if re.fullmatch(r"[a-z_]+_\d", name)}
    assert checks.done == expected
    # what the tutorial made is there
    stats = json.loads(cli("pipeline", "ls", "--json", env=env).stdout)
    assert [(p["name"], p["deployment_status"]) for p in stats] == [("shop", "Stopped")]
