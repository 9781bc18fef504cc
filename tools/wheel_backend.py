"""The addon's PEP 517 build backend: whool, always with the name live_messaging.

whool names the addon after the folder it builds in: ``pip install .`` from a
clone named ``src`` would install ``odoo_addon_src``, and ``pip install
git+<url>`` builds in a randomly named folder. This backend (``pyproject.toml``:
``backend-path``) copies the source to a temporary folder named
``live_messaging`` (the files git tracks, in a checkout) and lets whool build
there. Editable installs point at the checkout through a symlink of that name.
"""

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from whool import buildapi as _whool

ADDON = "live_messaging"
# never copied from a checkout that git does not describe
_IGNORED = shutil.ignore_patterns(
    ".git", ".run", "build", "dist", "__pycache__", "*.pyc", "*.egg-info"
)


def _tracked_files(source):
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"],
            cwd=source,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in out.decode().split("\0") if name]


def _copy(source, target):
    files = None if (source / "PKG-INFO").exists() else _tracked_files(source)
    if not files:  # an sdist, or no git: the folder as it is
        shutil.copytree(source, target, ignore=_IGNORED, symlinks=True)
        return
    for name in files:
        path = source / name
        if path.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name)


@contextmanager
def _named_copy():
    """The current directory (the source tree pip builds in), copied to a
    temporary folder named after the addon, as the current directory."""
    source = Path.cwd()
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="lm-build-") as tmp:
        target = Path(tmp) / ADDON
        _copy(source, target)
        os.chdir(target)
        try:
            yield
        finally:
            os.chdir(previous)


def _absolute(directory):
    return str(Path(directory).resolve())


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    with _named_copy():
        return _whool.prepare_metadata_for_build_wheel(
            _absolute(metadata_directory), config_settings
        )


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    with _named_copy():
        return _whool.build_wheel(_absolute(wheel_directory), config_settings)


def build_sdist(sdist_directory, config_settings=None):
    with _named_copy():
        return _whool.build_sdist(_absolute(sdist_directory), config_settings)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """The editable wheel points at the checkout through
    ``build/named/live_messaging``, a symlink to it (whool takes the addon's
    name from the folder's path, and ``os.getcwd()`` resolves symlinks)."""
    source = Path.cwd()
    link = source / "build" / "named" / ADDON
    link.parent.mkdir(parents=True, exist_ok=True)
    (source / "build" / ".gitignore").write_text("*\n")
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(source, target_is_directory=True)
    return _whool._build_wheel(link, Path(_absolute(wheel_directory)), editable=True)
