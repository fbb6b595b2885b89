"""docs/architecture.md names real modules and functions: a rename that leaves the picture behind fails here."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DOC = (PROJECT / "docs" / "architecture.md").read_text(encoding="utf-8")
SOURCES = "\n".join(
    path.read_text(encoding="utf-8")
    for path in [*(PROJECT / "conference").rglob("*.py"), *(PROJECT / "static" / "js").glob("*.js")]
)


def test_every_module_the_picture_names_exists():
    named = set(re.findall(r"(?<![\w<>/-])([a-z_][a-z_-]*(?:/[a-z_-]+)*\.(?:py|js))\b", DOC))
    missing = {
        p
        for p in named
        if not any(
            (base / p).exists() for base in (PROJECT / "conference", PROJECT, PROJECT / "static" / "js")
        )
        and not any(PROJECT.joinpath("conference").rglob(p))
    }
    assert named and missing == set()


def test_every_function_the_picture_calls_is_defined():
    called = set(re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\(", DOC)) - {"UNIQUE"}
    undefined = {
        name for name in called if not re.search(rf"(?:def|class|function)\s+{name}\b|\b{name}\s*=", SOURCES)
    }
    assert called and undefined == set()


def test_the_feature_list_is_the_factorys():
    source = (PROJECT / "conference" / "app.py").read_text(encoding="utf-8")
    factory = re.findall(r"^\s+(\w+),", re.search(r"features = \((.*?)\n    \)", source, re.S).group(1), re.M)
    listed = re.search(r"_register_features`: ([a-z0-9_, \n]+)\.", DOC).group(1)
    assert [name.strip() for name in listed.replace("\n", " ").split(",")] == factory
