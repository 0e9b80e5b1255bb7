"""Dependency locks: production installs only what it runs, every file hashed; development pins the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_LOCK = ROOT / "requirements" / "production.lock"
DEVELOPMENT_LOCK = ROOT / "requirements.lock"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """Return {package: version} for each `name==version` requirement in a lock file."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)(?:\[[^\]]*\])?==([^\s\\;]+)", line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def declared(group: str | None = None) -> dict[str, str]:
    """Return the pinned direct dependencies of pyproject.toml (or of one optional group)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    result = {}
    for spec in specs:
        name, _, version = spec.partition("==")
        result[canonical(re.sub(r"\[.*\]", "", name))] = version
    return result


def test_every_production_requirement_is_pinned_with_hashes():
    text = PRODUCTION_LOCK.read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1])
    requirements = [block for block in blocks if re.match(r"^[A-Za-z0-9]", block)]
    assert len(requirements) == len(pins(PRODUCTION_LOCK)) > 50
    for block in requirements:
        assert "==" in block.splitlines()[0], block
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", block), f"no hash for {block.splitlines()[0]}"


def test_production_lock_holds_every_production_dependency_and_no_test_tool():
    production = pins(PRODUCTION_LOCK)
    for name, version in declared().items():
        assert production.get(name) == version, f"{name}=={version} is not locked for production"
    for name in [*declared("test"), "pytest-xdist", "playwright", "ruff"]:
        assert name not in production, f"{name} is a test or development tool"


def test_development_lock_pins_the_production_versions_and_the_test_tools():
    development = pins(DEVELOPMENT_LOCK)
    differing = {name: (version, development.get(name)) for name, version in pins(PRODUCTION_LOCK).items()
                 if development.get(name) != version}
    assert differing == {}
    for name, version in declared("test").items():
        assert development.get(name) == version


def test_development_lock_is_sorted():
    names = [line.split("==")[0].lower() for line in DEVELOPMENT_LOCK.read_text().splitlines() if "==" in line]
    assert names == sorted(names)
