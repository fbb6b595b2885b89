"""Installs templates/ and static/ (which sit beside the package) under share/conference/.

Everything else is declared in pyproject.toml; this file exists only because data files in nested
folders cannot be listed there with a glob.
"""
from pathlib import Path

from setuptools import setup


def tree(folder: str) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            grouped.setdefault(str(Path("share/conference") / path.parent), []).append(str(path))
    return sorted(grouped.items())


setup(data_files=tree("templates") + tree("static"))
