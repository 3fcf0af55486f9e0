"""Runs the README's ```console blocks as a person would, on a fresh store.

Each block is lines of ``$ command`` followed by what it prints (stdout then stderr,
80 columns). The commands run in order in one scratch folder (``examples`` links to
the repository's), so ``export`` and the store carry over from block to block.
``source .venv/bin/activate`` puts this interpreter's ``nhigraph`` first on the PATH;
``echo $?`` prints the previous command's exit code. In expected output a line
holding only ``…`` stands for any lines, and an API key is masked as ``nhg_…``.

``python -m tests.readme_tour --write`` reruns the tour and writes what it printed
back into README.md (review the diff before committing).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```console\n(.*?)^```$", re.M | re.S)
_KEY = re.compile(r"nhg_[A-Za-z0-9_-]{20,}")


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)


def blocks(text: str) -> list[list[Step]]:
    found = []
    for match in _BLOCK.finditer(text):
        steps: list[Step] = []
        for line in match.group(1).splitlines():
            if line.startswith("$ "):
                steps.append(Step(line[2:]))
            elif steps:
                steps[-1].expected.append(line.rstrip())
        found.append(steps)
    return found


@dataclass
class Tour:
    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    last: int = 0

    def __post_init__(self) -> None:
        link = self.folder / "examples"
        if not link.exists():
            link.symlink_to(ROOT / "examples")
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith("NHIGRAPH_") or k == "HOME"
        }
        self.env.update(
            COLUMNS="80",
            TERM="dumb",
            NHIGRAPH_FINGERPRINT_KEY="readme-tour-fingerprint-key",
            NHIGRAPH_API_KEYS_FILE=str(self.folder / "api-keys.json"),
            PATH=os.environ.get("PATH", ""),
        )

    def run(self, command: str) -> list[str]:
        if command.startswith("source ") and command.split()[1].endswith("bin/activate"):
            self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env['PATH']}"
            self.last = 0
            return []
        export = re.fullmatch(r"export (\w+)=(\S+)(\s+#.*)?", command)
        if export:
            self.env[export.group(1)] = export.group(2)
            return []
        if command.split("#")[0].strip() == "echo $?":
            return [str(self.last)]
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        self.last = done.returncode
        printed = [line.rstrip() for line in (done.stdout + done.stderr).splitlines()]
        while printed and not printed[-1]:
            printed.pop()
        return [_KEY.sub("nhg_…", line) for line in printed]


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` fits ``expected``, where a line '…' stands for any lines."""
    if not expected:
        return not actual
    if expected[0] == "…":
        return any(matches(expected[1:], actual[n:]) for n in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


def write(folder: Path) -> None:
    """Rerun the tour and put what each command printed into README.md."""
    text = README.read_text(encoding="utf-8")
    tour = Tour(folder)

    def fill(block: re.Match[str]) -> str:
        lines = []
        for step in blocks(block.group(0))[0]:
            lines.append(f"$ {step.command}")
            printed = tour.run(step.command)
            lines += step.expected if matches(step.expected, printed) else printed
        return "```console\n" + "\n".join(lines) + "\n```"

    README.write_text(_BLOCK.sub(fill, text), encoding="utf-8")


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.readme_tour --write")
    with tempfile.TemporaryDirectory() as scratch:
        write(Path(scratch))
