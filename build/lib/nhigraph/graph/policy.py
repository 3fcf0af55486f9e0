"""Policy: the weights and thresholds a security team decides, loaded from YAML.

Defaults ship in ``policy.yaml`` beside this module; a user's file overrides any key
it names (deep merge). Nothing here reads the environment: the settings say which
file, and the CLI and API pass the loaded policy to the engine.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nhigraph.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sensitivity(_Strict):
    public: float = Field(ge=0)
    internal: float = Field(ge=0)
    confidential: float = Field(ge=0)
    restricted: float = Field(ge=0)


class AccessWeights(_Strict):
    read: float = Field(ge=0)
    write: float = Field(ge=0)
    admin: float = Field(ge=0)


class BlastPolicy(_Strict):
    sensitivity: Sensitivity
    access: AccessWeights

    def store_weight(self, classification: str, access: str) -> float:
        """sensitivity(classification) * weight(access): one reached store's share of the score."""
        sensitivity: float = getattr(self.sensitivity, classification)
        weight: float = getattr(self.access, access)
        return sensitivity * weight


class FindingsPolicy(_Strict):
    max_expiry_days: int = Field(ge=1)
    rotation_days: int = Field(ge=1)
    dormant_days: int = Field(ge=1)
    never_used_grace_days: int = Field(ge=0)


class SeverityPoints(_Strict):
    critical: float = Field(ge=0)
    high: float = Field(ge=0)
    medium: float = Field(ge=0)
    low: float = Field(ge=0)
    info: float = Field(ge=0)


class Tiers(_Strict):
    """The lowest risk of each tier; below ``medium`` is low."""

    critical: float = Field(ge=0)
    high: float = Field(ge=0)
    medium: float = Field(ge=0)


class RiskPolicy(_Strict):
    blast_weight: float = Field(ge=0)
    severity_points: SeverityPoints
    tiers: Tiers

    def tier(self, risk: float) -> str:
        for name in ("critical", "high", "medium"):
            if risk >= getattr(self.tiers, name):
                return name
        return "low"


class Cadence(_Strict):
    critical: int = Field(ge=1)
    high: int = Field(ge=1)
    medium: int = Field(ge=1)
    low: int = Field(ge=1)


class ReviewPolicy(_Strict):
    cadence_days: Cadence


class Policy(_Strict):
    blast: BlastPolicy
    findings: FindingsPolicy
    risk: RiskPolicy
    reviews: ReviewPolicy


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _defaults() -> dict[str, Any]:
    text = (files("nhigraph.graph") / "policy.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@cache
def default_policy() -> Policy:
    return Policy.model_validate(_defaults())


def load_policy(path: Path | None) -> Policy:
    """The shipped defaults, overridden by the YAML file at ``path`` when given."""
    if path is None:
        return default_policy()
    try:
        override = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the policy file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(override, dict):
        raise ConfigError(f"{path}: a policy file is a mapping of sections")
    try:
        return Policy.model_validate(_merge(_defaults(), override))
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
