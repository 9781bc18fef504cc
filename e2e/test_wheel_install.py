"""Installing the addon into an existing Odoo as the README says: ``pip
install git+<url>`` from a clone whose folder is not named live_messaging, into
a fresh virtualenv; then Odoo, with an addons path that does not hold the
checkout, loads the addon from the virtualenv."""

import os
import shutil
import subprocess
import sys


def run(*args, **kwargs):
    kwargs.setdefault("check", True)
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run([str(a) for a in args], **kwargs)


def test_pip_install_git_url_into_a_fresh_venv(tools, tmp_path):
    root = tools.lmdev.ROOT
    # a clone named "src": the checkout's files as they are now, committed
    clone = tmp_path / "src"
    files = run("git", "ls-files", "-z", cwd=root).stdout.split("\0")
    for name in filter(None, files):
        if (root / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, clone / name)
    git = ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@example.com"]
    run(*git, "init", "-q", cwd=clone)
    run(*git, "add", "-A", cwd=clone)
    run(*git, "commit", "-q", "-m", "e2e", cwd=clone)
    # Odoo and its requirements come from the machine, as for an Odoo
    # installed system-wide; the addon only from the venv
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--system-site-packages", venv)
    python = venv / "bin" / "python"
    run(
        python,
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        f"git+file://{clone}",
        timeout=300,
    )
    site = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    ).stdout.strip()
    installed = os.path.join(site, "odoo", "addons", "live_messaging")
    assert os.path.isfile(os.path.join(installed, "__manifest__.py"))
    assert not os.path.exists(os.path.join(site, "odoo", "addons", "src"))
    # Odoo finds it without the checkout on its addons path...
    addons = str(tools.odoo.addons)
    where = run(
        python,
        "-c",
        "import sys; from odoo.tools import config; "
        "config.parse_config(['--addons-path', sys.argv[1]]); "
        "from odoo.modules.module import get_module_path, initialize_sys_path; "
        "initialize_sys_path(); print(get_module_path('live_messaging'))",
        addons,
        env=tools.env(),
    ).stdout.strip()
    assert where == installed
    # ... and loads it: a registry of a database with the addon, its code
    # imported from the venv
    db = tools.copy_db("wheel")
    conf = tmp_path / "odoo.conf"
    conf.write_text(
        f"[options]\naddons_path = {addons}\ndb_name = {db}\n"
        f"data_dir = {tmp_path / 'data'}\n"
    )
    odoo_bin = [str(python), *tools.odoo.cmd[1:]]
    shell = run(
        *odoo_bin,
        "shell",
        "-c",
        conf,
        "-d",
        db,
        "--no-http",
        "--log-level=warn",
        *tools.args_for_odoo(),
        input=(
            "import odoo.addons.live_messaging as addon\n"
            "print('ADDON', addon.__file__)\n"
            "print('ROOMS', env['live.room'].search_count([]))\n"
        ),
        env=tools.env(),
        timeout=300,
    )
    assert f"ADDON {os.path.join(installed, '__init__.py')}" in shell.stdout, (
        shell.stdout + shell.stderr
    )
    assert "ROOMS " in shell.stdout
