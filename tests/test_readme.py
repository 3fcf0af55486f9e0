"""The README's tour is what the program prints: every console block, run on a fresh store."""

from __future__ import annotations

from pathlib import Path

from tests.readme_tour import README, Tour, blocks, matches


def test_the_readme_tour_prints_what_the_readme_shows(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    assert text.splitlines()[3:5] == [
        "scripts/run     # set up .venv, ingest the demo estate and seven SaaS exports into "
        "./demo.db (embedded), show a blast radius, serve the GraphQL API",
        "scripts/test    # set up, ruff + mypy, start a real Neo4j 5.26 (from Maven Central), "
        "run every test on both stores",
    ]
    tour = Tour(tmp_path)
    ran = 0
    for block in blocks(text):
        for step in block:
            printed = tour.run(step.command)
            assert matches(step.expected, printed), (
                f"$ {step.command}\n--- README\n" + "\n".join(step.expected)
                + "\n--- printed\n" + "\n".join(printed)
            )  # fmt: skip
            ran += 1
    assert ran >= 20


def test_every_example_file_the_readme_names_exists() -> None:
    import re

    text = README.read_text(encoding="utf-8")
    commands = "\n".join(line for line in text.splitlines() if line.startswith("$ "))
    named = set(re.findall(r"`(examples/[\w./-]+)", text))
    named |= set(re.findall(r"examples/[\w./-]+", commands))
    root = README.parent
    assert named and [n for n in sorted(named) if not (root / n.rstrip(".")).exists()] == []
