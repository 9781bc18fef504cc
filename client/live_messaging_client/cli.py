"""Command line: ``python -m live_messaging_client COMMAND [options]``.

The server, key and database come from ``--url``/``--key``/``--db`` or the
``LIVE_URL``/``LIVE_KEY``/``LIVE_DB`` environment variables (prefer the
variable for the key: command lines are visible to other users). Results are
printed as JSON, one line per message or event for ``listen``.
"""

import argparse
import json
import os
import signal
import sys

from .client import ApiError, AuthError, BatchError, Client, unescape_body


class _Stopped(BaseException):
    """SIGTERM: stop listening (not an Exception: nothing on the way may
    swallow it)."""


def _stop(*_args):
    raise _Stopped


def _print(data):
    if isinstance(data, dict) and isinstance(data.get("body"), str):
        # a message: its text as typed, beside the body as the API sends it
        data = {**data, "text": unescape_body(data["body"])}
    print(json.dumps(data, ensure_ascii=False), flush=True)


def _json_object(text):
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("a JSON object is expected")
    return value


def _connection_options(parser, defaults):
    def default(value):
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--url", default=default(os.environ.get("LIVE_URL")), help="Odoo URL"
    )
    parser.add_argument(
        "--key", default=default(os.environ.get("LIVE_KEY")), help="API key"
    )
    parser.add_argument(
        "--db", default=default(os.environ.get("LIVE_DB")), help="database"
    )
    parser.add_argument(
        "--timeout", type=float, default=default(30.0), help="HTTP timeout"
    )


def parser():
    # the options work before and after the command; the command's copies
    # have no default, so that they do not hide the ones given before it
    common = argparse.ArgumentParser(add_help=False)
    _connection_options(common, defaults=False)
    p = argparse.ArgumentParser(
        prog="python -m live_messaging_client",
        description="Talk to Odoo Live Messaging from the command line.",
    )
    _connection_options(p, defaults=True)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("me", parents=[common], help="who the key belongs to")
    sub.add_parser("rooms", parents=[common], help="your rooms")
    sub.add_parser("topics", parents=[common], help="topics you may use")

    post = sub.add_parser("post", parents=[common], help="post a message")
    post.add_argument("--room", type=int, required=True)
    post.add_argument("--body", required=True)
    post.add_argument("--client-id", help="idempotency key (default: random)")
    post.add_argument(
        "--mention", type=int, action="append", default=[], help="user id (repeat)"
    )
    post.add_argument(
        "--file", action="append", default=[], help="attach this file (repeat)"
    )

    download = sub.add_parser("download", parents=[common], help="download a file")
    download.add_argument("--room", type=int, required=True)
    download.add_argument("--attachment", type=int, required=True)
    download.add_argument("--output", required=True, help="where to write it")

    edit = sub.add_parser("edit", parents=[common], help="edit your message")
    edit.add_argument("--room", type=int, required=True)
    edit.add_argument("--message", type=int, required=True)
    edit.add_argument("--body", required=True)

    delete = sub.add_parser("delete", parents=[common], help="delete your message")
    delete.add_argument("--room", type=int, required=True)
    delete.add_argument("--message", type=int, required=True)

    react = sub.add_parser("react", parents=[common], help="react with an emoji")
    react.add_argument("--room", type=int, required=True)
    react.add_argument("--message", type=int, required=True)
    react.add_argument("--emoji", required=True)
    react.add_argument("--remove", action="store_true", help="take it back")

    search = sub.add_parser("search", parents=[common], help="search messages")
    search.add_argument("--query", required=True)
    search.add_argument("--room", type=int, help="in this room only")

    history = sub.add_parser("history", parents=[common], help="room history")
    history.add_argument("--room", type=int, required=True)
    history.add_argument("--after", type=int, default=0)

    publish = sub.add_parser(
        "publish",
        parents=[common],
        help="publish an event, or many from a JSON Lines file",
        description="One event: --topic and --json. Many: --file, one JSON object "
        "a line: with --topic, each line is an event's payload; without, each line "
        'is a batch item, an event {"topic": ..., "payload": {...}} or a chat '
        'message {"room_id": ..., "body": ...}. They are sent in batches (POST '
        "/batch), one result printed per line; the exit code is 1 if any was "
        "refused.",
    )
    publish.add_argument("--topic")
    publish.add_argument("--json", type=_json_object, dest="payload")
    publish.add_argument("--idempotency-key", help="default: random")
    publish.add_argument("--file", help="JSON Lines file (- for standard input)")
    publish.add_argument(
        "--atomic",
        action="store_true",
        help="with --file: each batch is written whole or not at all",
    )

    events = sub.add_parser("events", parents=[common], help="topic history")
    events.add_argument("--topic", required=True)
    events.add_argument("--after", type=int, default=0)

    for name in ("subscribe", "unsubscribe"):
        cmd = sub.add_parser(name, parents=[common], help=f"{name} (to/from) a topic")
        cmd.add_argument("--topic", required=True)

    listen = sub.add_parser(
        "listen", parents=[common], help="print events and messages as they come"
    )
    listen.add_argument("--topic", action="append", default=[], dest="topics")
    listen.add_argument(
        "--rooms", action="store_true", help="also every message of your rooms"
    )
    listen.add_argument(
        "--after",
        type=int,
        help="resume the (single) topic after this event id instead of now",
    )
    return p


def _post(client, opts):
    attachment_ids = [client.upload(opts.room, path)["id"] for path in opts.file]
    return client.post(
        opts.room,
        opts.body,
        client_id=opts.client_id,
        mentions=opts.mention,
        attachment_ids=attachment_ids,
    )


def _file_items(handle, topic):
    """The batch items of a JSON Lines file (blank lines skipped)."""
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise SystemExit(f"publish: line {number} is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise SystemExit(f"publish: line {number} is not a JSON object")
        yield {"topic": topic, "payload": value} if topic else value


def _publish(client, opts):
    if opts.file is None:
        if opts.topic is None or opts.payload is None:
            raise SystemExit("publish: give --topic and --json, or --file")
        _print(
            client.publish(
                opts.topic, opts.payload, idempotency_key=opts.idempotency_key
            )
        )
        return 0
    if opts.payload is not None or opts.idempotency_key:
        raise SystemExit("publish: --file takes no --json or --idempotency-key")
    if opts.file == "-":
        results = client.send_many(
            _file_items(sys.stdin, opts.topic), atomic=opts.atomic
        )
    else:
        with open(opts.file, encoding="utf-8") as handle:
            results = client.send_many(
                _file_items(handle, opts.topic), atomic=opts.atomic
            )
    for result in results:
        _print(result)
    print(
        f"created {results.created}, replayed {results.replayed}, "
        f"refused {results.refused}",
        file=sys.stderr,
    )
    return 1 if results.refused else 0


def _download(client, opts):
    with open(opts.output, "wb") as output:
        output.write(client.download(opts.room, opts.attachment))


def _listen(client, opts):
    if not opts.topics and not opts.rooms:
        raise SystemExit("listen: give --topic NAME (repeatable) and/or --rooms")
    since = {}
    if opts.after is not None:
        if len(opts.topics) != 1:
            raise SystemExit("listen: --after needs exactly one --topic")
        since[opts.topics[0]] = opts.after
    listener = client.listen(topics=opts.topics, rooms=opts.rooms, since=since)
    # SIGTERM (kill) ends the iteration; the socket is closed after it (from
    # the handler, closing would wait on the read it interrupted, forever)
    signal.signal(signal.SIGTERM, _stop)
    try:
        for delivery in listener:
            _print({"kind": delivery.kind, "target": delivery.target, **delivery.data})
    except _Stopped:
        pass
    finally:
        listener.close()


# commands printing one answer
ANSWERS = {
    "me": lambda client, opts: client.me(),
    "rooms": lambda client, opts: client.rooms(),
    "topics": lambda client, opts: client.topics(),
    "post": _post,
    "edit": lambda client, opts: client.edit(opts.room, opts.message, opts.body),
    "delete": lambda client, opts: client.delete(opts.room, opts.message),
    "react": lambda client, opts: client.react(
        opts.room, opts.message, opts.emoji, remove=opts.remove
    ),
    "search": lambda client, opts: client.search(opts.query, room_id=opts.room),
    "subscribe": lambda client, opts: client.subscribe(opts.topic),
    "unsubscribe": lambda client, opts: client.unsubscribe(opts.topic),
}


def run(opts):
    client = Client(opts.url, opts.key, db=opts.db, timeout=opts.timeout)
    command = opts.command
    if command in ANSWERS:
        _print(ANSWERS[command](client, opts))
    elif command == "history":
        for message in client.iter_history(opts.room, after=opts.after):
            _print(message)
    elif command == "events":
        for event in client.iter_events(opts.topic, after=opts.after):
            _print(event)
    elif command == "publish":
        return _publish(client, opts)
    elif command == "download":
        _download(client, opts)
    elif command == "listen":
        _listen(client, opts)


def main(argv=None):
    opts = parser().parse_args(argv)
    if not opts.url or not opts.key:
        print("error: give --url and --key (or LIVE_URL and LIVE_KEY)", file=sys.stderr)
        return 2
    try:
        status = run(opts)
    except KeyboardInterrupt:
        return 130
    except AuthError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except BatchError as exc:
        for result in exc.results:
            _print(result)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return status or 0
