#!/usr/bin/env python3
"""Run Odoo with live_messaging, or run its whole test suite.

    tools/serve [--odoo DIR] [--db NAME] [--port 8069] [--update] [--reset]
    tools/test  [--odoo DIR] [--db NAME] [--keep-db] [-k EXPR] [--no-lint]
                [--no-bench] ...

Odoo 18.0 is located, never downloaded or built: ``--odoo DIR`` (a source tree
holding ``odoo/`` and ``addons/``), else the ``odoo`` package importable by this
Python. PostgreSQL is reached like Odoo does (unix socket, current OS user) unless
``--db-host``/``--db-port``/``--db-user``/``--db-password`` say otherwise.

Everything machine-specific (configuration, a symlink exposing this checkout as
``live_messaging`` on the addons path, filestore, logs) goes to ``.run/``, which
git ignores.
"""

import argparse
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

ADDON = "live_messaging"
ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / ".run"
SERVE_DB = "live_messaging"
TEST_DB = "live_messaging_test"
E2E_SUFFIX = "_e2e"
BROWSERS = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")


class Fatal(Exception):
    """A problem the user must fix; printed without a traceback."""


def say(message):
    print(f"[lmdev] {message}", flush=True)


# ----------------------------------------------------------------------
# Locating Odoo and PostgreSQL
# ----------------------------------------------------------------------


class Odoo:
    def __init__(self, explicit=None):
        self.env = dict(os.environ, TZ="UTC")
        if explicit:
            root = Path(explicit).resolve()
            if not (root / "odoo" / "__init__.py").is_file():
                raise Fatal(f"--odoo {explicit}: no odoo/__init__.py there.")
            self.env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(root), self.env.get("PYTHONPATH")])
            )
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import os, odoo, odoo.release as r; "
                "p = os.path.abspath(odoo.__file__); "
                "print(os.path.dirname(os.path.dirname(p))); print(r.serie)",
            ],
            env=self.env,
            capture_output=True,
            text=True,
        )
        if probe.returncode:
            raise Fatal(
                "Odoo 18.0 is not importable by "
                f"{sys.executable}:\n{probe.stderr.strip().splitlines()[-1:]}\n"
                "Install Odoo 18.0 (its requirements.txt) and make it importable "
                "(e.g. a .pth file pointing at the source tree), or pass "
                "--odoo /path/to/odoo-18.0. This script never downloads Odoo."
            )
        root, serie = probe.stdout.split()
        if serie != "18.0":
            raise Fatal(f"Found Odoo {serie} in {root}; live_messaging needs 18.0.")
        self.root = Path(root)
        addons = self.root / "addons"
        self.addons = addons if addons.is_dir() else self.root / "odoo" / "addons"
        bin_ = self.root / "odoo-bin"
        self.cmd = (
            [sys.executable, str(bin_)]
            if bin_.is_file()
            else [
                sys.executable,
                "-m",
                "odoo",
            ]
        )

    def run(self, args, **kwargs):
        return subprocess.run(self.cmd + list(args), env=self.env, **kwargs)


def db_params(opts):
    params = {"dbname": "postgres"}
    for key in ("host", "port", "user", "password"):
        value = getattr(opts, f"db_{key}")
        if value:
            params[key] = value
    return params


def check_postgres(odoo, opts):
    """Fail with a clear message when PostgreSQL cannot be used as Odoo will."""
    user = opts.db_user or os.environ.get("PGUSER") or _os_user()
    if user == "postgres":
        raise Fatal(
            "Odoo refuses the PostgreSQL role 'postgres'. Use another superuser "
            "role, e.g.: createuser -s -U postgres $(id -un)"
        )
    code = (
        "import json, sys, psycopg2\n"
        "p = json.loads(sys.argv[1])\n"
        "c = psycopg2.connect(connect_timeout=5, **p)\n"
        "cr = c.cursor(); cr.execute('SELECT rolcreatedb OR rolsuper FROM pg_roles "
        "WHERE rolname = current_user'); print(cr.fetchone()[0])\n"
    )
    import json

    probe = subprocess.run(
        [sys.executable, "-c", code, json.dumps(db_params(opts))],
        env=odoo.env,
        capture_output=True,
        text=True,
    )
    if probe.returncode:
        error = (probe.stderr.strip().splitlines() or ["?"])[-1]
        where = opts.db_host or "the local unix socket"
        raise Fatal(
            f"PostgreSQL is not reachable on {where} as role {user!r}: {error}\n"
            "Start PostgreSQL (e.g. `pg_ctlcluster 15 main start`), create a "
            f"superuser role for this OS user (`createuser -s -U postgres {user}`), "
            "or pass --db-host/--db-port/--db-user/--db-password."
        )
    if probe.stdout.strip() != "True":
        raise Fatal(f"PostgreSQL role {user!r} cannot create databases.")


def _os_user():
    import getpass

    return getpass.getuser()


def psql_value(odoo, opts, sql, dbname="postgres"):
    import json

    params = dict(db_params(opts), dbname=dbname)
    code = (
        "import json, sys, psycopg2\n"
        "p = json.loads(sys.argv[1])\n"
        "try:\n"
        "    c = psycopg2.connect(connect_timeout=5, **p)\n"
        "except psycopg2.OperationalError:\n"
        "    print('__nodb__'); sys.exit(0)\n"
        "cr = c.cursor()\n"
        "try:\n"
        "    cr.execute(sys.argv[2]); row = cr.fetchone()\n"
        "except psycopg2.Error:\n"
        "    row = None\n"
        "print('' if row is None else row[0])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(params), sql],
        env=odoo.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return None if out == "__nodb__" else out


def module_state(odoo, opts, db):
    return psql_value(
        odoo, opts, f"SELECT state FROM ir_module_module WHERE name = '{ADDON}'", db
    )


def drop_db(odoo, opts, db):
    code = (
        "import json, sys, psycopg2\n"
        "c = psycopg2.connect(**json.loads(sys.argv[1])); c.autocommit = True\n"
        "cr = c.cursor()\n"
        "cr.execute('SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid != pg_backend_pid()', [sys.argv[2]])\n"
        "cr.execute('DROP DATABASE IF EXISTS \"%s\"' % sys.argv[2])\n"
    )
    import json

    subprocess.run(
        [sys.executable, "-c", code, json.dumps(db_params(opts)), db],
        env=odoo.env,
        check=True,
    )


def copy_db(odoo, opts, source, target):
    """``target`` becomes a copy of ``source`` (database and filestore)."""
    drop_db(odoo, opts, target)
    code = (
        "import json, sys, psycopg2\n"
        "c = psycopg2.connect(**json.loads(sys.argv[1])); c.autocommit = True\n"
        "c.cursor().execute("
        '\'CREATE DATABASE "%s" TEMPLATE "%s"\' % tuple(sys.argv[2:]))\n'
    )
    import json

    subprocess.run(
        [sys.executable, "-c", code, json.dumps(db_params(opts)), target, source],
        env=odoo.env,
        check=True,
    )
    filestore = RUN / "data" / "filestore"
    shutil.rmtree(filestore / target, ignore_errors=True)
    if (filestore / source).is_dir():
        shutil.copytree(filestore / source, filestore / target)


# ----------------------------------------------------------------------
# Run directory and configuration
# ----------------------------------------------------------------------


def prepare_run_dir():
    """Expose this checkout as an addon named live_messaging, whatever the name
    of the folder it was cloned into."""
    addons = RUN / "addons"
    addons.mkdir(parents=True, exist_ok=True)
    link = addons / ADDON
    if link.is_symlink() and link.resolve() != ROOT:
        link.unlink()
    if not link.exists():
        link.symlink_to(ROOT, target_is_directory=True)
    (RUN / "data").mkdir(exist_ok=True)
    (RUN / "logs").mkdir(exist_ok=True)
    return addons


def admin_password():
    path = RUN / "admin_passwd"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def write_config(odoo, opts, name, db, http_port, extra=None):
    addons = prepare_run_dir()
    options = {
        "addons_path": f"{odoo.addons},{addons}",
        "data_dir": str(RUN / "data"),
        # one database, named, and no dbfilter: with both, Odoo lists the
        # databases (a connection to `postgres`) at every request without a
        # session cookie, i.e. every API call and websocket handshake of an app
        "db_name": db,
        "list_db": "False",
        "admin_passwd": admin_password(),
        "http_interface": opts.interface,
        "http_port": str(http_port),
        "gevent_port": str(opts.gevent_port),
        "workers": str(opts.workers),
        "max_cron_threads": "1",
        "screenshots": str(RUN / "screenshots"),
    }
    for key in ("host", "port", "user", "password"):
        value = getattr(opts, f"db_{key}")
        if value:
            options[f"db_{key}"] = value
    options.update(extra or {})
    path = RUN / f"{name}.conf"
    lines = ["[options]"] + [f"{k} = {v}" for k, v in options.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def install(odoo, conf, db, *, update=False, demo=True, log=None):
    args = ["-c", str(conf), "-d", db, "--stop-after-init", "--no-http"]
    args += ["-u" if update else "-i", ADDON]
    if not demo:
        args.append("--without-demo=all")
    say(f"{'updating' if update else 'installing'} {ADDON} in database {db}...")
    started = time.monotonic()
    if log:
        args += [f"--logfile={log}"]
    result = odoo.run(args)
    if result.returncode:
        tail = Path(log).read_text().splitlines()[-40:] if log else []
        raise Fatal(
            f"Installing {ADDON} failed (exit {result.returncode}).\n" + "\n".join(tail)
        )
    say(f"done in {time.monotonic() - started:.0f}s")


# ----------------------------------------------------------------------
# Python requirements of the addon and of the multi-worker mode
# ----------------------------------------------------------------------

REQUIREMENTS_PROBE = """
import importlib.metadata, sys
try:
    from packaging.requirements import Requirement
except ImportError:
    # a fresh virtualenv has only pip's copy; Odoo needs the package itself to
    # read a manifest's external dependencies: it is a requirement too
    print("packaging")
    from pip._vendor.packaging.requirements import Requirement
for line in sys.argv[1:]:
    req = Requirement(line)
    if req.marker and not req.marker.evaluate():
        continue
    try:
        version = importlib.metadata.version(req.name)
    except importlib.metadata.PackageNotFoundError:
        print(line)
        continue
    if req.specifier and not req.specifier.contains(version, prereleases=True):
        print(line)
"""


def requirement_lines(path):
    lines = []
    for line in Path(path).read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines


def unmet_requirements(odoo, path):
    """The lines of a requirements file that Odoo's interpreter does not meet
    (checked as Odoo checks a manifest's external dependencies)."""
    probe = subprocess.run(
        [sys.executable, "-c", REQUIREMENTS_PROBE, *requirement_lines(path)],
        env=odoo.env,
        capture_output=True,
        text=True,
    )
    if probe.returncode:
        raise Fatal(f"Cannot check {path.name}: {_last_line(probe.stderr)}")
    return probe.stdout.split("\n")[:-1]


def _last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"


def pip_install(odoo, *args):
    """``pip install`` into Odoo's interpreter; returns (ok, last error line)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        + list(args),
        env=odoo.env,
        capture_output=True,
        text=True,
    )
    return not result.returncode, _last_line(result.stderr or result.stdout)


def ensure_runtime_requirements(odoo):
    """Install the addon's runtime requirements (``requirements.txt``, the
    packages of the manifest's ``external_dependencies``) when one is missing;
    fail with one line saying what to run when they cannot be installed."""
    path = ROOT / "requirements.txt"
    unmet = unmet_requirements(odoo, path)
    if not unmet:
        return
    say(f"installing the addon's Python requirements: {', '.join(unmet)}")
    # what the file does not name (packaging, which Odoo needs), too
    extra = [line for line in unmet if line not in requirement_lines(path)]
    ok, error = pip_install(odoo, "-r", str(path), *extra)
    unmet = unmet_requirements(odoo, path)
    if unmet:
        raise Fatal(
            f"Missing Python requirements {', '.join(unmet)} could not be installed "
            f"({error if not ok else 'still unmet'}): run "
            f"`{Path(sys.executable).name} -m pip install -r {path}`."
        )


# gevent 22.10 (Odoo 18's pin on Python 3.11) loads its plugins through
# pkg_resources: setuptools < 70 does not match zope.interface installed as
# zope_interface-*.dist-info (DistributionNotFound) and setuptools >= 82 has no
# pkg_resources any more. Either way `odoo-bin gevent`, the worker that serves
# websockets when workers > 0, dies at start.
GEVENT_PROBE = "import gevent.monkey; gevent.monkey.patch_all()"
SETUPTOOLS_FOR_GEVENT = "setuptools>=70,<82"


def _gevent_error(odoo):
    probe = subprocess.run(
        [sys.executable, "-c", GEVENT_PROBE],
        env=odoo.env,
        capture_output=True,
        text=True,
    )
    return probe.returncode and _last_line(probe.stderr)


def ensure_gevent(odoo):
    """Make sure the websocket worker (``odoo-bin gevent``) can start; install
    a setuptools it works with when that is what it lacks. Returns what was
    done (``None``: nothing)."""
    error = _gevent_error(odoo)
    if not error:
        return None
    if "pkg_resources" not in error:
        raise Fatal(
            f"The websocket worker (odoo-bin gevent) cannot start: {error}. "
            "Install Odoo's requirements.txt (gevent)."
        )
    say(f"gevent cannot start ({error}); installing {SETUPTOOLS_FOR_GEVENT}")
    ok, pip_error = pip_install(odoo, SETUPTOOLS_FOR_GEVENT)
    error = _gevent_error(odoo)
    if error:
        raise Fatal(
            f"The websocket worker (odoo-bin gevent) cannot start: {error}"
            f"{'' if ok else f' (pip: {pip_error})'}; run "
            f"`{Path(sys.executable).name} -m pip install '{SETUPTOOLS_FOR_GEVENT}'`."
        )
    return f"installed {SETUPTOOLS_FOR_GEVENT}"


# ----------------------------------------------------------------------
# serve
# ----------------------------------------------------------------------


def cmd_serve(opts):
    odoo = Odoo(opts.odoo)
    ensure_runtime_requirements(odoo)
    if opts.workers:
        ensure_gevent(odoo)
    check_postgres(odoo, opts)
    name = "serve" if opts.db == SERVE_DB else f"serve-{opts.db}"
    conf = write_config(odoo, opts, name, opts.db, opts.port)
    if opts.reset:
        say(f"dropping database {opts.db}")
        drop_db(odoo, opts, opts.db)
    state = module_state(odoo, opts, opts.db)
    if state != "installed":
        install(odoo, conf, opts.db, demo=not opts.no_demo)
    elif opts.update:
        install(odoo, conf, opts.db, update=True)
    websocket = (
        f"websockets on port {opts.gevent_port}"
        if opts.workers
        else "websockets on the same port"
    )
    say(
        f"Odoo with {ADDON} on http://localhost:{opts.port} (database {opts.db}; "
        f"{websocket}). Demo logins: admin/admin, demo/demo, lisa/lisa."
    )
    os.execve(odoo.cmd[0], odoo.cmd + ["-c", str(conf), "-d", opts.db], odoo.env)


# ----------------------------------------------------------------------
# test
# ----------------------------------------------------------------------


def ensure_test_requirements(opts):
    missing = []
    for module in (
        "pytest",
        "pytest_odoo",
        "websocket",
        "jsonschema",
        "ruff",
        "pylint_odoo",
        "openapi_spec_validator",
        "schemathesis",
        "re2",
        "hypothesis",
        "nats",
    ):
        probe = subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True
        )
        if probe.returncode:
            missing.append(module)
    if missing:
        say(f"installing test requirements (missing: {', '.join(missing)})")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "-r",
                str(ROOT / "requirements-test.txt"),
            ],
            check=True,
        )


def find_browser():
    for name in BROWSERS:
        if shutil.which(name):
            return shutil.which(name)
    return None


def step(name, results, func):
    say(f"--- {name}")
    started = time.monotonic()
    try:
        ok, detail = func()
    except Fatal as exc:
        ok, detail = False, str(exc)
    elapsed = time.monotonic() - started
    results.append((name, ok, detail, elapsed))
    say(f"--- {name}: {'ok' if ok else 'FAILED'} ({elapsed:.0f}s) {detail or ''}")
    return ok


def run_lint():
    files = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split() or ["."]
    checks = [
        ("ruff check", [sys.executable, "-m", "ruff", "check", *files], ROOT),
        (
            "ruff format",
            [sys.executable, "-m", "ruff", "format", "--check", *files],
            ROOT,
        ),
        # pylint resolves symlinks: run it beside the addon's symlink, by name
        (
            "pylint-odoo",
            [
                sys.executable,
                "-m",
                "pylint",
                "--rcfile",
                str(ROOT / ".pylintrc"),
                ADDON,
            ],
            RUN / "addons",
        ),
    ]
    failed = [
        name for name, cmd, cwd in checks if subprocess.run(cmd, cwd=cwd).returncode
    ]
    return not failed, ("failed: " + ", ".join(failed)) if failed else ""


def run_wheel():
    """Build the addon's wheel from this checkout, whatever its folder's name:
    the in-tree backend (tools/wheel_backend.py) builds it with whool in a
    folder named after the addon."""
    dist = RUN / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    wheels = sorted(dist.glob("odoo_addon_*.whl"))
    if result.returncode or not wheels:
        return False, (result.stderr or result.stdout).strip()[-2000:]
    if not wheels[-1].name.startswith(f"odoo_addon_{ADDON}-"):
        return False, f"{wheels[-1].name}: the addon is not named {ADDON}"
    with zipfile.ZipFile(wheels[-1]) as wheel:
        names = wheel.namelist()
    if f"odoo/addons/{ADDON}/__manifest__.py" not in names:
        return False, f"{wheels[-1].name} does not hold the addon"
    return True, f"{wheels[-1].name} ({len(names)} files)"


def count_junit(path):
    """Outcome counts of the test cases in pytest's JUnit XML. Subtests (pytest
    9 writes each as a test case named ``<test>[<subtest>]`` beside ``<test>``)
    are counted apart, so that "tests" is the number of test functions."""
    if not path.exists():
        return None
    cases = list(ET.parse(path).getroot().iter("testcase"))
    names = {(case.get("classname"), case.get("name")) for case in cases}
    totals = {"tests": 0, "subtests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for case in cases:
        name = case.get("name") or ""
        parent = name.split("[", 1)[0]
        if parent != name and (case.get("classname"), parent) in names:
            totals["subtests"] += 1
        else:
            totals["tests"] += 1
        for key, tag in (
            ("failures", "failure"),
            ("errors", "error"),
            ("skipped", "skipped"),
        ):
            if case.find(tag) is not None:
                totals[key] += 1
                break
    return totals


def pytest_outcome(opts, result, junit):
    """(ok, detail) of a pytest run from its exit code and JUnit XML. With -k,
    "no test selected here" (exit 5) is no failure; skips are failures unless
    --allow-skips."""
    totals = count_junit(junit)
    if not totals:
        if opts.k and result.returncode == 5:
            return True, "no test selected by -k"
        return False, f"pytest exited {result.returncode} without results"
    detail = f"{totals['tests']} tests"
    if totals["subtests"]:
        detail += f" (+{totals['subtests']} subtests)"
    detail += (
        f", {totals['failures']} failed, "
        f"{totals['errors']} errors, {totals['skipped']} skipped"
    )
    ok = result.returncode == 0 or bool(opts.k and result.returncode == 5)
    if ok and totals["skipped"] and not opts.allow_skips:
        ok = False
        detail += " (skips are failures here: a skipped test proves nothing; "
        detail += "see the 'SKIPPED' lines above, or pass --allow-skips)"
    return ok, detail


def cmd_test(opts, pytest_args):
    odoo = Odoo(opts.odoo)
    ensure_runtime_requirements(odoo)
    ensure_test_requirements(opts)
    check_postgres(odoo, opts)
    if not opts.no_browser and not find_browser():
        raise Fatal(
            "No Chrome/Chromium found (looked for "
            + ", ".join(BROWSERS)
            + "); browser tests would be skipped. Install Debian's chromium "
            "(apt-get install chromium) or pass --no-browser."
        )
    conf = write_config(odoo, opts, "test", opts.db, opts.port)
    results = []
    if not opts.no_lint:
        step("lint (ruff, pylint-odoo)", results, run_lint)
        step("wheel (whool)", results, run_wheel)

    def prepare_db():
        state = module_state(odoo, opts, opts.db)
        if opts.keep_db and state == "installed":
            return True, f"reusing {opts.db}"
        drop_db(odoo, opts, opts.db)
        log = RUN / "logs" / "install.log"
        log.unlink(missing_ok=True)
        install(odoo, conf, opts.db, log=str(log))
        problems = [
            line
            for line in log.read_text().splitlines()
            if re.search(r" (ERROR|CRITICAL) ", line)
            or (" WARNING " in line and ADDON in line)
        ]
        if problems:
            return False, "install log has errors/warnings:\n" + "\n".join(
                problems[:30]
            )
        return True, f"{opts.db} installed with demo data"

    if not step("database", results, prepare_db):
        return summarize(results)

    junit = RUN / "logs" / "pytest.xml"
    junit.unlink(missing_ok=True)
    targets = opts.paths or [str(RUN / "addons" / ADDON / "tests")]
    if not opts.paths and not opts.no_bus:
        targets.append(str(odoo.addons / "bus" / "tests"))
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(RUN / "addons" / ADDON),
        f"--odoo-database={opts.db}",
        f"--odoo-config={conf}",
        "--odoo-http",
        f"--junitxml={junit}",
        "-o",
        "junit_family=xunit2",
        "-ra",
        *pytest_args,
        *targets,
    ]
    if opts.k:
        args[3:3] = ["-k", opts.k]

    def run_pytest():
        result = subprocess.run(args, env=odoo.env, cwd=RUN / "addons" / ADDON)
        return pytest_outcome(opts, result, junit)

    label = "pytest (live_messaging" + (
        "" if opts.no_bus or opts.paths else " + Odoo bus"
    )
    step(label + ")", results, run_pytest)
    if not opts.no_odoo_runner and not opts.paths and not opts.k:
        step(
            "Odoo's test runner (odoo-bin --test-tags, no test-only packages)",
            results,
            lambda: run_odoo_runner(odoo, opts, conf),
        )
    if not opts.no_e2e and not opts.paths:
        step("end-to-end (real server)", results, lambda: run_e2e(odoo, opts))
    if not opts.no_bench and not opts.paths and not opts.k:
        step("bench smoke (bench/run.py --smoke)", results, lambda: run_bench(opts))
    return summarize(results)


BENCH_TIMEOUT = 240


def run_bench(opts):
    """The benchmark in smoke mode (seconds, tiny sizes), so that it cannot rot:
    multi-worker servers on a copy of the test database, every scenario."""
    port = opts.bench_port or opts.port + 20
    args = [
        sys.executable,
        str(ROOT / "bench" / "run.py"),
        "--smoke",
        f"--template={opts.db}",
        f"--db={opts.db}_bench",
        f"--base-port={port}",
    ]
    if opts.odoo:
        args.append(f"--odoo={opts.odoo}")
    for key in ("host", "port", "user", "password"):
        value = getattr(opts, f"db_{key}")
        if value:
            args.append(f"--db-{key}={value}")
    proc = subprocess.Popen(args, cwd=ROOT)
    try:
        code = proc.wait(timeout=BENCH_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.terminate()  # the runner stops its servers on SIGTERM
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        return False, f"timed out after {BENCH_TIMEOUT}s"
    summary = RUN / "bench" / "smoke.md"
    if code:
        return False, f"exit {code}; see the [bench] lines above"
    return True, f"all scenarios ran; summary in {summary.relative_to(ROOT)}"


MISSING_TEST_PACKAGE = "this test needs the Python package"
LOG_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (\w+) \S+ ([\w.]+): ", re.MULTILINE
)


def run_odoo_runner(odoo, opts, conf):
    """The addon's tests under Odoo's own runner (``odoo-bin --test-tags``, as
    integrators and OCA's CI run the tests of a database), in an interpreter
    where the test-only packages are not installed: loading the tests must not
    need them, and a missing one may fail only the tests that use it, with a
    message naming it."""
    # Odoo's runner only runs the test modules that tests/__init__.py imports
    imported = set(
        re.findall(
            r"^from \. import (test_\w+)$",
            (ROOT / "tests" / "__init__.py").read_text(),
            re.MULTILINE,
        )
    )
    forgotten = sorted(
        path.stem
        for path in (ROOT / "tests").glob("test_*.py")
        if path.stem not in imported
    )
    if forgotten:
        return False, (
            "tests/__init__.py does not import "
            + ", ".join(forgotten)
            + ": Odoo's runner would never run them"
        )
    sys.path.insert(0, str(ROOT / "tools"))
    import venvs  # noqa: PLC0415 - beside this script

    hidden = venvs.test_only_distributions(ROOT, odoo.root)
    python = venvs.shadow_venv(RUN / "venv-odoo-runner", hidden)
    log = RUN / "logs" / "odoo-runner.log"
    log.unlink(missing_ok=True)
    tags = f"/{ADDON}"
    args = [str(python), *odoo.cmd[1:], "-c", str(conf), "-d", opts.db]
    args += ["--test-tags", tags, "--stop-after-init", f"--logfile={log}"]
    say(
        f"odoo-bin --test-tags {tags} without {len(hidden)} test-only packages "
        f"({', '.join(hidden[:6])}...); log: {log.relative_to(ROOT)}"
    )
    result = subprocess.run(args, env=odoo.env)
    text = log.read_text() if log.exists() else ""
    records = list(LOG_RECORD.finditer(text))
    report, expected, unexpected = None, [], []
    for index, match in enumerate(records):
        end = records[index + 1].start() if index + 1 < len(records) else len(text)
        message = text[match.end() : end]
        level, logger = match.groups()
        if logger == "odoo.tests.result" and " when loading database " in message:
            report = message.split(" when loading database ")[0].strip()
        elif level in ("ERROR", "CRITICAL"):
            first = message.splitlines()[0] if message else ""
            if first.startswith(("FAIL: ", "ERROR: ")) and (
                MISSING_TEST_PACKAGE in message
            ):
                expected.append(first)
            else:
                unexpected.append(first)
    counts = re.match(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests", report or "")
    if not counts:
        return False, f"no test report (exit {result.returncode}); see {log}"
    failed, errors, total = map(int, counts.groups())
    detail = f"{total} tests, {failed} failed, {errors} errors"
    if expected:
        detail += f" ({len(expected)} for lack of a test-only package, as expected)"
    if unexpected:
        detail += "; unexpected:\n  " + "\n  ".join(unexpected[:20])
    ok = not unexpected and failed + errors == len(expected) and total > 0
    return ok, detail + ("" if ok else f"; see {log}")


def tools_args(opts):
    """The options of ``opts`` that tools/serve and tools/lmdev.py take too
    (where Odoo and PostgreSQL are)."""
    args = [f"--odoo={opts.odoo}"] if opts.odoo else []
    for key in ("host", "port", "user", "password"):
        value = getattr(opts, f"db_{key}")
        if value:
            args.append(f"--db-{key}={value}")
    return args


def run_e2e(odoo, opts):
    """The e2e/ tests with plain pytest against a real Odoo server process, on a
    copy of the freshly installed test database (real commits, NOTIFY, sockets)."""
    db = opts.db + E2E_SUFFIX
    copy_db(odoo, opts, opts.db, db)
    conf = write_config(odoo, opts, "e2e", db, 0)
    junit = RUN / "logs" / "e2e.xml"
    junit.unlink(missing_ok=True)
    log = RUN / "logs" / "e2e-server.log"
    log.unlink(missing_ok=True)
    args = [
        sys.executable,
        "-m",
        "pytest",
        # its own ini: the repository root is the addon's package, which plain
        # pytest must not import (it only imports as odoo.addons.live_messaging)
        "-c",
        str(ROOT / "e2e" / "pytest.ini"),
        "--rootdir",
        str(ROOT / "e2e"),
        "-ra",
        f"--server-cmd={shlex.join(odoo.cmd)}",
        f"--server-config={conf}",
        f"--server-db={db}",
        f"--server-log={log}",
        f"--template-db={opts.db}",
        f"--tools-args={shlex.join(tools_args(opts))}",
        f"--junitxml={junit}",
        str(ROOT / "e2e"),
    ]
    if opts.k:
        args[3:3] = ["-k", opts.k]
    result = subprocess.run(args, env=odoo.env, cwd=ROOT)
    ok, detail = pytest_outcome(opts, result, junit)
    if result.returncode:
        detail += f"; server log: {log}"
    return ok, detail


def summarize(results):
    ok = all(r[1] for r in results)
    say("summary:")
    for name, passed, detail, elapsed in results:
        verdict = "PASS" if passed else "FAIL"
        say(f"  {verdict}  {name}  ({elapsed:.0f}s)  {detail or ''}")
    parts = "; ".join(f"{n}: {'ok' if p else 'FAILED'}" for n, p, _d, _e in results)
    print(f"live_messaging test suite: {'PASSED' if ok else 'FAILED'} ({parts})")
    return 0 if ok else 1


# ----------------------------------------------------------------------
# apikey
# ----------------------------------------------------------------------

APIKEY_SCRIPT = """
import datetime
user = env["res.users"].search([("login", "=", {login!r})])
if not user:
    raise SystemExit("no user with login {login}")
days = {days!r}
expiry = days and datetime.datetime.now() + datetime.timedelta(days=days)
# a new key replaces the user's previous key of the same name: running this
# again does not pile keys up
Keys = env["res.users.apikeys"].with_user(user).sudo()
Keys.search([("user_id", "=", user.id), ("name", "=", {name!r})]).unlink()
# as an administrator may: a key of the user, created on the server
key = Keys._generate(None, {name!r}, expiry or None)
env.cr.commit()
print("LIVE_API_KEY=" + key)
"""


def cmd_apikey(opts):
    """Print a fresh API key of a user of the serve database (what the user
    would get from Preferences > Account Security > New API Key); it replaces
    the user's previous key of the same name."""
    odoo = Odoo(opts.odoo)
    check_postgres(odoo, opts)
    conf = write_config(odoo, opts, "apikey", opts.db, opts.port)
    if module_state(odoo, opts, opts.db) != "installed":
        raise Fatal(f"{ADDON} is not installed in {opts.db}: run tools/serve first.")
    script = APIKEY_SCRIPT.format(login=opts.login, name=opts.name, days=opts.days)
    result = odoo.run(
        ["shell", "-c", str(conf), "-d", opts.db, "--no-http", "--log-level=warn"],
        input=script,
        capture_output=True,
        text=True,
    )
    keys = re.findall(r"^LIVE_API_KEY=(\w+)$", result.stdout, re.MULTILINE)
    if result.returncode or not keys:
        raise Fatal(
            f"Could not create the key:\n{(result.stderr or result.stdout)[-2000:]}"
        )
    say(f"API key {opts.name!r} of {opts.login} in {opts.db} (shown once):")
    print(keys[0])
    return 0


# ----------------------------------------------------------------------


def parser():
    p = argparse.ArgumentParser(
        prog="lmdev",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, db, port):
        sp.add_argument(
            "--odoo", help="Odoo 18.0 source tree (default: importable odoo)"
        )
        sp.add_argument("--db", default=db, help=f"database (default: {db})")
        sp.add_argument("--port", type=int, default=port, help="HTTP port")
        sp.add_argument("--interface", default="", help="HTTP interface (default: all)")
        sp.add_argument("--gevent-port", type=int, default=8072)
        sp.add_argument(
            "--workers",
            type=int,
            default=0,
            help="0 = threaded (websocket on the HTTP port)",
        )
        for key in ("host", "port", "user", "password"):
            sp.add_argument(f"--db-{key}", help=f"PostgreSQL {key}")

    serve = sub.add_parser("serve", help="run Odoo with the addon and demo data")
    common(serve, SERVE_DB, 8069)
    serve.add_argument("--update", action="store_true", help="update the addon first")
    serve.add_argument("--reset", action="store_true", help="recreate the database")
    serve.add_argument(
        "--no-demo", action="store_true", help="install without demo data"
    )

    apikey = sub.add_parser(
        "apikey",
        help="print a new API key of a user (serve database, or $LIVE_DB), "
        "replacing their previous key of the same name",
    )
    common(apikey, os.environ.get("LIVE_DB") or SERVE_DB, 8069)
    apikey.add_argument("--login", required=True, help="whose key (e.g. demo)")
    apikey.add_argument("--name", default="lmdev", help="the key's description")
    apikey.add_argument(
        "--days", type=int, default=30, help="validity in days (0: no expiry)"
    )

    test = sub.add_parser("test", help="run the whole test suite")
    common(test, TEST_DB, 8069)
    test.add_argument("-k", help="pytest -k expression (selects tests)")
    test.add_argument(
        "--keep-db",
        action="store_true",
        help="reuse the test database if the addon is installed",
    )
    test.add_argument("--no-lint", action="store_true", help="skip ruff, pylint, wheel")
    test.add_argument("--no-bus", action="store_true", help="skip Odoo's bus suite")
    test.add_argument(
        "--no-e2e", action="store_true", help="skip the real-server tests"
    )
    test.add_argument(
        "--no-bench", action="store_true", help="skip the benchmark's smoke run"
    )
    test.add_argument(
        "--no-odoo-runner",
        action="store_true",
        help="skip the run of the tests by Odoo's own runner (odoo-bin --test-tags)",
    )
    test.add_argument(
        "--bench-port",
        type=int,
        help="first of the 5 ports of the benchmark's servers and proxy "
        "(default: port+20)",
    )
    test.add_argument(
        "--no-browser",
        action="store_true",
        help="allow running without Chrome (browser tests then skip)",
    )
    test.add_argument(
        "--allow-skips",
        action="store_true",
        help="do not count skipped tests as failures",
    )
    test.add_argument("paths", nargs="*", help="test files/dirs instead of the suite")
    return p


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    # everything after "--" goes to pytest untouched
    extra = []
    if "--" in argv:
        index = argv.index("--")
        argv, extra = argv[:index], argv[index + 1 :]
    opts = parser().parse_args(argv)
    try:
        if opts.command == "serve":
            return cmd_serve(opts)
        if opts.command == "apikey":
            return cmd_apikey(opts)
        return cmd_test(opts, extra)
    except Fatal as exc:
        print(textwrap.indent(str(exc), "[lmdev] ERROR: "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
