"""The README's runnable snippets, run as written against a real server.

Every fenced block that follows a ``<!-- readme-test -->`` comment in README.md
runs, in the README's order, in one bash script from the checkout's root
(shell blocks as they are, Python blocks through ``python3``), against
``tools/serve`` started on a copy of the demo database. What differs from a
reader's terminal: the server's address (``http://localhost:8069`` becomes the
test server's), ``LIVE_DB`` names the copy (``tools/lmdev.py apikey`` takes
its database from it), the Python client is found through ``PYTHONPATH``
(instead of ``pip install ./client``), and ``curl`` fails on an HTTP error
(``--fail-with-body``), so that a refused request fails the test.
"""

import contextlib
import os
import re
import signal
import subprocess

from livee2e import free_port, stop, wait_http

MARKER = "<!-- readme-test -->"
BLOCK = re.compile(
    re.escape(MARKER) + r"\s*\n```(?P<lang>\w+)\n(?P<code>.*?)\n```", re.DOTALL
)
README_URL = "http://localhost:8069"


def readme_blocks(text):
    """``[(lang, code)]`` of the marked blocks, in order."""
    return [(m["lang"], m["code"]) for m in BLOCK.finditer(text)]


def script(blocks, url):
    lines = [
        "set -euo pipefail",
        'curl() { command curl --fail-with-body "$@"; }',
    ]
    for index, (lang, code) in enumerate(blocks):
        code = code.replace(README_URL, url)
        lines.append(f"echo '### block {index + 1} ({lang})'")
        if lang == "python":
            lines += [
                "PYTHONPATH=client python3 - <<'README_PYTHON'",
                code,
                "README_PYTHON",
            ]
        else:
            lines.append(code)
        lines.append("echo")
    return "\n".join(lines) + "\n"


def test_readme_marks_its_runnable_blocks(tools):
    readme = (tools.lmdev.ROOT / "README.md").read_text()
    blocks = readme_blocks(readme)
    assert readme.count(MARKER) == len(blocks), "a marker not before a code block"
    langs = {lang for lang, _code in blocks}
    assert langs <= {"sh", "python"}, langs
    assert "python" in langs and "sh" in langs


def test_readme_snippets_run_on_the_demo_database(tools, tmp_path):
    readme = (tools.lmdev.ROOT / "README.md").read_text()
    db = tools.copy_db("readme")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    proc = tools.serve("--db", db, "--interface", "127.0.0.1", "--port", port, log=log)
    try:
        wait_http(f"{url}/web/health", proc, log)
        path = tmp_path / "readme.sh"
        path.write_text(script(readme_blocks(readme), url))
        # its own process group: whatever a block leaves running is stopped
        run = subprocess.Popen(
            ["bash", str(path)],
            cwd=tools.lmdev.ROOT,
            env=tools.env(LIVE_DB=db),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            output, _ = run.communicate(timeout=300)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    finally:
        stop(proc)
    assert run.returncode == 0, output
    # what the README says the reader sees
    assert '"login": "demo"' in output, output
    # the listener's line about the event published after it
    assert any(
        '"kind": "event"' in line and "refunded" in line for line in output.splitlines()
    ), output
    assert "Order 42 is paid" in output, output
    assert '"state": "active"' in output, output  # the agent's claim
