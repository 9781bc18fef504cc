"""Virtual environments that see this machine's Python packages, minus some.

Some checks need an interpreter where a package is *absent*: Odoo's own test
runner where the test-only packages (pytest, openapi-spec-validator,
hypothesis...) are not installed, ``tools/serve`` where a runtime requirement
is missing. A venv made with ``--system-site-packages`` sees everything, one
made without sees nothing (not even Odoo's requirements). ``shadow_venv``
makes a venv (without pip of its own) whose extra site directory is a folder
of symlinks to the entries of this interpreter's site-packages, less the files
of the hidden distributions: what is installed into the venv afterwards goes
to the venv and comes first on ``sys.path``.
"""

import importlib.metadata
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

try:
    from packaging.requirements import InvalidRequirement, Requirement
except ImportError:  # pip vendors it
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement


def canonical(name):
    """PEP 503 normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(path):
    """Distribution names of a requirements file (comments, options and lines
    whose markers do not apply are skipped)."""
    names = []
    for line in Path(path).read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        names.append(canonical(requirement.name))
    return names


def _site_dirs():
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [Path(d) for d in dirs if Path(d).is_dir()]


def _distributions():
    """{canonical name: Distribution} of this interpreter's site-packages."""
    found = {}
    for dist in importlib.metadata.distributions(path=[str(d) for d in _site_dirs()]):
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonical(name), dist)
    return found


def closure(names, dists=None):
    """``names`` and every installed distribution they require, transitively
    (extras and markers that do not apply are ignored)."""
    dists = _distributions() if dists is None else dists
    seen = set()
    todo = [canonical(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        dist = dists.get(name)
        for line in (dist and dist.requires) or ():
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            marker = requirement.marker
            if marker and not marker.evaluate({"extra": ""}):
                continue
            todo.append(canonical(requirement.name))
    return seen


def test_only_distributions(addon_root, odoo_root=None):
    """The distributions that only the tests need: those of
    ``requirements-test.txt`` and what they require, less what the addon
    (``requirements.txt``), Odoo (its ``requirements.txt``) and Odoo's own
    test framework (websocket-client, for ``WebsocketCase``) need; Odoo
    also imports ``packaging``, which its requirements.txt does not name."""
    dists = _distributions()
    addon_root = Path(addon_root)
    keep = ["pip", "setuptools", "packaging", "websocket-client"]
    keep += requirement_names(addon_root / "requirements.txt")
    odoo_requirements = odoo_root and Path(odoo_root) / "requirements.txt"
    if odoo_requirements and odoo_requirements.is_file():
        keep += requirement_names(odoo_requirements)
    wanted = closure(requirement_names(addon_root / "requirements-test.txt"), dists)
    return sorted((wanted - closure(keep, dists)) & set(dists))


def shadow_venv(path, hide, python=sys.executable):
    """Make (anew) a venv at ``path`` seeing this interpreter's packages except
    the distributions ``hide``; returns the venv's python."""
    path = Path(path)
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run(
        [python, "-m", "venv", "--without-pip", str(path)],
        check=True,
        capture_output=True,
    )
    hide = {canonical(n) for n in hide}
    view = path / "view"
    view.mkdir()
    owners = {}  # site-packages entry -> distributions owning files in it
    for name, dist in _distributions().items():
        base = Path(dist.locate_file(""))
        for file in dist.files or ():
            parts = Path(file).parts
            if parts and parts[0] != "..":
                owners.setdefault(base / parts[0], set()).add(name)
        info = getattr(dist, "_path", None)
        if info is not None:
            owners.setdefault(Path(info), set()).add(name)
    for directory in _site_dirs():
        for entry in directory.iterdir():
            mine = owners.get(entry)
            if mine and mine <= hide:
                continue
            target = view / entry.name
            if not target.exists():
                target.symlink_to(entry, target_is_directory=entry.is_dir())
    venv_python = path / "bin" / "python"
    purelib = subprocess.run(
        [
            str(venv_python),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # a site directory, so that the .pth files of the machine (odoo.pth...)
    # are processed as they are for the machine's interpreter
    Path(purelib, "_shadow_view.pth").write_text(
        f"import site; site.addsitedir({str(view)!r})\n"
    )
    return venv_python
