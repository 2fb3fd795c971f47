"""Where a source lives: one virtual environment per package under `<work_dir>/venvs/`.

Sources pin their own dependencies (airbyte-cdk, pydantic, ...), which would fight
Headwater's, so each package gets a venv of its own, named by its normalised name, and runs
through its console script (`bin/source-*`). Installing is the operator's call: with
`allow_install` a missing venv is created and the package pip-installed into it, under a
file lock so concurrent runs do not race; without it, a missing venv is a TerminalError that
says how to install it by hand.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import Distribution, distributions
from pathlib import Path

from headwater.connectors.builtin.airbyte._process import pip_env
from headwater.connectors.builtin.airbyte.spec import PACKAGE_PATTERN
from headwater.connectors.sdk import TerminalError, TransientError

try:  # present wherever pip, pytest or setuptools are; used only to check version ranges
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
except ImportError:  # pragma: no cover
    SpecifierSet = None  # type: ignore[assignment,misc]
    InvalidSpecifier = ValueError  # type: ignore[assignment,misc]

INSTALL_TIMEOUT = 1800.0
_BIN = "Scripts" if os.name == "nt" else "bin"
_SPECIFIERS = re.compile(r"(===|==|!=|~=|<=|>=|<|>)")
_NETWORK_HINTS = (
    "connection",
    "timed out",
    "timeout",
    "temporary failure in name resolution",
    "name or service not known",
    "proxyerror",
    "network is unreachable",
    "http error 50",
)


@dataclass(frozen=True)
class Requirement:
    text: str  # as given, for pip
    name: str  # normalised (PEP 503): the venv's directory name
    specifier: str  # "" or e.g. "==7.2.1" / ">=7,<8"


def parse_requirement(text: str) -> Requirement:
    """`text` as a plain PyPI requirement, or a TerminalError saying why it is not one."""
    text = text.strip()
    if not re.fullmatch(PACKAGE_PATTERN, text):
        raise TerminalError(
            f"package {text!r} is not a plain PyPI requirement: give a name with an optional "
            "version, like `airbyte-source-faker` or `airbyte-source-faker==7.2.1` "
            "(no URLs, paths, markers or pip options)"
        )
    found = _SPECIFIERS.search(text)
    head = text[: found.start()] if found else text
    specifier = text[found.start() :].replace(" ", "") if found else ""
    name = head.split("[", 1)[0].strip()
    return Requirement(text, re.sub(r"[-_.]+", "-", name).lower(), specifier)


class Venvs:
    """The venvs under `root`, one per package."""

    def __init__(self, root: Path, allow_install: bool) -> None:
        self.root = root
        self.allow_install = allow_install

    def path(self, requirement: Requirement) -> Path:
        return self.root / requirement.name

    def executable(self, requirement: Requirement) -> Path:
        """The source's console script, installing the package first if that is allowed."""
        venv = self.path(requirement)
        problem = _unready(venv, requirement)
        if problem is None:
            return _console_script(venv, requirement)
        if not self.allow_install:
            python = Path(sys.executable).name
            raise TerminalError(
                f"the Airbyte source {requirement.text!r} is not installed for Headwater "
                f"({problem}). The operator must install it: `{python} -m venv {venv} && "
                f"{venv / _BIN / 'pip'} install '{requirement.text}'`, or enable the airbyte "
                'connector option allow_install (HEADWATER_CONNECTOR_OPTIONS=\'{"airbyte": '
                '{"allow_install": true}}\')'
            )
        self.root.mkdir(parents=True, exist_ok=True)
        with _locked(self.root / f".{requirement.name}.lock"):
            if _unready(venv, requirement) is not None:  # another run may have just done it
                _install(venv, requirement)
        problem = _unready(venv, requirement)
        if problem is not None:
            raise TerminalError(f"installing {requirement.text!r} did not work: {problem}")
        return _console_script(venv, requirement)


def _unready(venv: Path, requirement: Requirement) -> str | None:
    """Why `venv` cannot run `requirement` yet, or None if it can."""
    if not (venv / _BIN).is_dir():
        return f"no virtual environment at {venv}"
    dist = _distribution(venv, requirement.name)
    if dist is None:
        return f"{requirement.name} is not installed in {venv}"
    if requirement.specifier and not _satisfies(dist.version, requirement.specifier):
        return f"{venv} has {requirement.name} {dist.version}, not {requirement.specifier}"
    return None


def _distribution(venv: Path, name: str) -> Distribution | None:
    paths = [str(p) for p in (*venv.glob("lib/python*/site-packages"), venv / "Lib/site-packages")]
    for dist in distributions(name=name, path=paths):
        return dist
    return None


def _satisfies(version: str, specifier: str) -> bool:
    if SpecifierSet is None:  # pragma: no cover - without `packaging`, exact pins only
        return not specifier.startswith("==") or specifier.lstrip("=") == version
    try:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    except InvalidSpecifier:
        raise TerminalError(f"package version {specifier!r} is not a valid specifier") from None


def _console_script(venv: Path, requirement: Requirement) -> Path:
    """The source's executable: its `source-*` console script (by entry point, else by name)."""
    dist = _distribution(venv, requirement.name)
    scripts = [e.name for e in dist.entry_points.select(group="console_scripts")] if dist else []
    if not scripts:  # no entry points declared: whatever looks like a source in bin/
        scripts = sorted(p.name for p in (venv / _BIN).glob("source-*"))
    sources = [s for s in scripts if s.startswith("source-")] or scripts
    if len(sources) > 1:  # airbyte-source-faker -> source-faker
        wanted = requirement.name.removeprefix("airbyte-")
        sources = [s for s in sources if s == wanted] or sources
    if len(sources) != 1:
        found = ", ".join(sources) or "none"
        raise TerminalError(
            f"cannot tell which console script of {requirement.name} runs the source "
            f"(found: {found})"
        )
    path = venv / _BIN / sources[0]
    if not path.exists():
        raise TerminalError(f"{requirement.name}'s console script {path} does not exist")
    return path


class _locked:
    """An exclusive lock on `path` (flock), across processes and threads."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd = -1

    def __enter__(self) -> None:
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


def _install(venv: Path, requirement: Requirement) -> None:
    """A venv at `venv` (recreated if broken) with `requirement` pip-installed into it."""
    python = venv / _BIN / ("python.exe" if os.name == "nt" else "python")
    if not python.exists():
        shutil.rmtree(venv, ignore_errors=True)  # a half-made venv from a crashed install
        _run([sys.executable, "-m", "venv", str(venv)], f"creating a venv for {requirement.name}")
    _run(
        [
            str(python),
            *("-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet"),
            requirement.text,
        ],
        f"pip install {requirement.text}",
    )


def _run(args: list[str], what: str) -> None:
    with tempfile.TemporaryFile() as output:
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv, no shell
                args,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=pip_env(),
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise TransientError(f"{what} took more than {INSTALL_TIMEOUT:.0f} s") from None
        if done.returncode == 0:
            return
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    tail = "\n".join(text.strip().splitlines()[-8:])
    lowered = text.lower()
    if "no matching distribution" not in lowered and any(h in lowered for h in _NETWORK_HINTS):
        raise TransientError(f"{what} failed (network?): {tail}")
    raise TerminalError(f"{what} failed: {tail}")
