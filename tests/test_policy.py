"""Policy: shipped defaults, a user's overrides merged over them, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhigraph.errors import ConfigError
from nhigraph.graph.policy import default_policy, load_policy


def test_the_shipped_weights() -> None:
    blast = default_policy().blast
    assert blast.store_weight("restricted", "admin") == 30
    assert blast.store_weight("public", "read") == 1
    assert load_policy(None) == default_policy()


def test_a_user_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("blast:\n  sensitivity:\n    restricted: 100\n")
    blast = load_policy(path).blast
    assert blast.store_weight("restricted", "write") == 200
    assert blast.store_weight("confidential", "write") == 10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "blast:\n  access:\n    read: -1\n",
            "blast.access.read: Input should be greater than or equal to 0",
        ),
        ("blast:\n  colour: blue\n", "blast.colour: Extra inputs are not permitted"),
        ("- a list\n", "a policy file is a mapping of sections"),
    ],
)
def test_a_bad_policy_file_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as excinfo:
        load_policy(path)
    assert str(excinfo.value) == f"{path}: {message}"
