"""Helpers of the external-app API end-to-end tests: API keys made the way a
user makes them, and direct access to the test database.

API keys are created through RPC exactly as in Preferences > Account Security
> New API Key: the description wizard asks for the user's password again
(``res.users.identitycheck``), then shows the key once. Nothing is weakened
for the tests: the users' passwords are known because the tests created them.
"""

import configparser
import sys
import time
from pathlib import Path

import psycopg2

# the client is not installed: import it from this checkout (test modules
# import this module before live_messaging_client, as isort orders them)
CLIENT_DIR = Path(__file__).resolve().parent.parent / "client"
if str(CLIENT_DIR) not in sys.path:
    sys.path.insert(0, str(CLIENT_DIR))


def new_user(server, admin, prefix, name, **values):
    """A fresh internal user created through RPC, logged in with password =
    login (``<prefix>_<name>_<ns>``): its id and login."""
    login = f"{prefix}_{name}_{time.time_ns()}"
    uid = server.call(
        admin,
        "res.users",
        "create",
        {"name": f"E2E {name.title()}", "login": login, "password": login, **values},
    )
    return uid, login


def make_api_key(server, login, password=None, name=None):
    """A new API key of ``login``, created as the user does it in the UI."""
    http = server.session(login, password)
    name = name or f"e2e {login} {time.time_ns()}"
    # saved as the form view saves it
    wizard_id = server.call(
        http,
        "res.users.apikeys.description",
        "web_save",
        [],
        {"name": name},
        specification={},
    )[0]["id"]
    action = server.call(http, "res.users.apikeys.description", "make_key", [wizard_id])
    # the identity check: the user types their password again
    assert action["res_model"] == "res.users.identitycheck", action
    check_id = action["res_id"]
    server.call(
        http,
        "res.users.identitycheck",
        "write",
        [check_id],
        {"password": password or login},
    )
    shown = server.call(http, "res.users.identitycheck", "run_check", [check_id])
    key = shown["context"]["default_key"]
    assert key and len(key) == 40
    http.key_name = name
    http.key = key
    return http


def remove_api_key(server, http):
    """Remove the key ``http`` made (the identity check is still fresh)."""
    key_ids = server.call(
        http, "res.users.apikeys", "search", [["name", "=", http.key_name]]
    )
    assert key_ids
    server.call(http, "res.users.apikeys", "remove", key_ids)


def db_connect(config_path, db):
    """A psycopg2 connection to the server's database, as the server makes
    it (its configuration file's db_* options)."""
    parser = configparser.ConfigParser()
    parser.read(config_path)
    options = parser["options"] if parser.has_section("options") else {}
    params = {"dbname": db}
    for key in ("host", "port", "user", "password"):
        value = options.get(f"db_{key}")
        if value and value != "False":
            params[key] = value
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    return connection
