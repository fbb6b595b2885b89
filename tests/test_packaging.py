"""Every install serves the pages from its own copy of templates/ and static/.

The wheel test builds the project (copied out of the source tree, so the build cannot lean on it),
installs the wheel into a fresh virtual environment and into a `pip install --target` folder, and
asks each install, run from another working directory, to render `/` and serve a stylesheet. It
takes about 15 seconds and downloads nothing: the wheel is built with this environment's setuptools
and the installs borrow this environment's dependencies.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHIPPED_FOLDERS = {"conference.templates": "templates", "conference.static": "static"}

# Run by the installed copy: render / and the stylesheet, and say where each came from.
PROBE = textwrap.dedent("""
    import json, sys
    import conference
    from conference import create_app
    from conference.cli import upgrade_schema

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1]})
    with app.app_context():
        upgrade_schema()
    client = app.test_client()
    home = client.get("/")
    css = client.get("/static/css/app.css")
    arabic = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    from conference.certificates import pdf
    pdf._register_fonts()  # the certificate font ships with the package
    print(json.dumps({
        "arabic": 'dir="rtl"' in arabic and "الفعاليات" in arabic,
        "font": pdf.FONT_DIRS[0].startswith(conference.__file__.rsplit("/", 1)[0]),
        "package": conference.__file__,
        "template_folder": app.jinja_env.get_template("base.html").filename,
        "static_folder": app.static_folder,
        "home": home.status_code,
        "home_html": "<html" in home.get_data(as_text=True).lower(),
        "css": css.status_code,
        "css_bytes": len(css.get_data()),
    }))
""")


def test_every_package_folder_is_declared():
    """pyproject.toml lists the packages explicitly (package discovery cannot add the mapped asset
    folders): a package folder missing from the list would be missing from every wheel."""
    declared = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(PROJECT).parts)
        for init in (PROJECT / "conference").rglob("__init__.py")
    }
    assert set(declared["packages"]) == on_disk | set(SHIPPED_FOLDERS), (
        "add new package folders to [tool.setuptools] packages in pyproject.toml"
    )
    assert declared["package-dir"] == SHIPPED_FOLDERS


def _copy_project(target: Path) -> None:
    ignore = shutil.ignore_patterns(
        ".venv",
        ".git",
        "build",
        "dist",
        "instance",
        "*.egg-info",
        "__pycache__",
        ".pytest_cache",
        "node_modules",
        "test-artifacts",
    )
    shutil.copytree(PROJECT, target, ignore=ignore)


def _probe(python: str, workdir: Path, env: dict | None = None) -> dict:
    result = subprocess.run(
        [python, "-c", PROBE, str(workdir / "probe.db")],
        check=False,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _assert_served_from(report: dict, install_root: Path) -> None:
    assert report["home"] == 200 and report["home_html"]
    assert report["font"], "the certificate font (certificates/fonts) ships with it"
    assert report["arabic"], "the compiled catalogues (translations/*/LC_MESSAGES/*.mo) ship with it"
    source_css = (PROJECT / "static" / "css" / "app.css").stat().st_size
    assert report["css"] == 200 and report["css_bytes"] == source_css
    for key in ("package", "template_folder", "static_folder"):
        path = Path(report[key]).resolve()
        assert path.is_relative_to(install_root.resolve()), (key, path)
        assert not path.is_relative_to(PROJECT), (key, path)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("wheel")
    _copy_project(workdir / "src")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(workdir / "dist"),
            str(workdir / "src"),
        ],
        check=True,
        timeout=300,
    )
    (built,) = (workdir / "dist").glob("conference-*.whl")
    return built


def test_a_wheel_in_a_fresh_virtual_environment_serves_the_pages_from_its_own_copy(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    site_packages = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # Borrow this environment's dependencies. A path added by a .pth file is not itself a site
    # folder, so this environment's editable install of conference is not activated there.
    (site_packages / "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    _assert_served_from(_probe(python, workdir), site_packages)


def test_pip_install_target_serves_its_own_copy(wheel, tmp_path):
    target = tmp_path / "target"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    _assert_served_from(_probe(sys.executable, workdir, env), target)
