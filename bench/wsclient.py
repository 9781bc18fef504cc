"""Many websockets per process, on asyncio, for the benchmark's subscribers.

A minimal RFC 6455 client (handshake, masked frames out, unmasked frames in,
pong, close): thousands of sockets per process at almost no CPU, which matters
when the clients share two cores with the server they measure. Every text frame
is searched for the benchmark's markers, ``bench <seq> <unix time sent>``, so
the same receiver measures our messages and Discuss's (whose bodies are HTML).

A holder process opens its sockets, then obeys commands from the runner
(``status``, ``reset``, ``stop``) on a queue; see ``hold``.
"""

import asyncio
import base64
import json
import os
import queue
import random
import re
import resource
import struct
import time

RETRIES = 5
MARK_RE = re.compile(rb"bench (-?\d+) (\d+\.\d+)")
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


NOFILE_WANTED = 65536  # Odoo's gevent worker takes 3 descriptors per websocket


def raise_nofile():
    """Allow as many open files as possible: up to NOFILE_WANTED when the
    process may raise its hard limit (root), else the hard limit. Returns the
    limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < NOFILE_WANTED:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE_WANTED,) * 2)
            return NOFILE_WANTED
        except (ValueError, OSError):
            pass
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def encode_frame(opcode, payload):
    """A final, masked client frame."""
    header = bytearray([0x80 | opcode])
    length = len(payload)
    if length < 126:
        header.append(0x80 | length)
    elif length < 1 << 16:
        header.append(0x80 | 126)
        header += struct.pack("!H", length)
    else:
        header.append(0x80 | 127)
        header += struct.pack("!Q", length)
    mask = os.urandom(4)
    header += mask
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes(header) + masked


async def read_frame(reader):
    """(opcode, payload) of the next complete message (continuations joined)."""
    chunks, first_opcode = [], None
    while True:
        head = await reader.readexactly(2)
        fin, opcode = head[0] & 0x80, head[0] & 0x0F
        length = head[1] & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await reader.readexactly(8))
        mask = await reader.readexactly(4) if head[1] & 0x80 else None
        payload = await reader.readexactly(length)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if opcode >= OP_CLOSE:  # control frames may come between fragments
            return opcode, payload
        chunks.append(payload)
        first_opcode = opcode if first_opcode is None else first_opcode
        if fin:
            return first_opcode, b"".join(chunks)


async def connect(host, port, path, headers=None, timeout=30):
    """Open a websocket; returns (reader, writer) after the 101 answer."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, limit=1 << 22), timeout
    )
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Origin: http://{host}:{port}",
    ]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    status = answer.split(b"\r\n", 1)[0]
    if b" 101 " not in status + b" ":
        writer.close()
        raise ConnectionError(status.decode(errors="replace"))
    return reader, writer


class Socket:
    """One subscribed websocket and what it received."""

    def __init__(self):
        self.received = {}  # seq -> latency (s)
        self.closed = None
        self.writer = None

    async def run(self, spec, opened):
        reader, writer = await connect(
            spec["host"], spec["port"], spec["path"], spec.get("headers")
        )
        self.writer = writer
        subscribe = {
            "event_name": "subscribe",
            "data": {"channels": spec.get("channels", []), "last": 0},
        }
        writer.write(encode_frame(OP_TEXT, json.dumps(subscribe).encode()))
        opened.set_result(True)
        try:
            while True:
                opcode, payload = await read_frame(reader)
                now = time.time()
                if opcode == OP_TEXT:
                    for seq, sent in MARK_RE.findall(payload):
                        seq = int(seq)
                        if seq not in self.received:
                            self.received[seq] = now - float(sent)
                elif opcode == OP_PING:
                    writer.write(encode_frame(OP_PONG, payload))
                elif opcode == OP_CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if payload else 1005
                    self.closed = code
                    return
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self.closed = self.closed or 1006

    def close(self):
        if self.writer and not self.writer.is_closing():
            try:
                self.writer.write(encode_frame(OP_CLOSE, struct.pack("!H", 1000)))
            except (ConnectionError, OSError, RuntimeError):
                pass
            self.writer.close()


async def _hold(spec, count, commands, replies):
    sockets, tasks, failures = [], [], []
    gate = asyncio.Semaphore(spec.get("concurrency", 5))
    deadline = time.monotonic() + spec.get("open_timeout", 600)
    retried = []

    async def open_one():
        # as Odoo's websocket worker does: a refused handshake (the gevent
        # worker's database pool full: 500) is retried after a backoff
        error = None
        for attempt in range(RETRIES):
            if time.monotonic() > deadline:
                error = error or "not tried: open_timeout reached"
                break
            if attempt:
                retried.append(1)
                await asyncio.sleep(random.uniform(0.5, 1.5) * attempt)
            async with gate:
                sock = Socket()
                opened = asyncio.get_running_loop().create_future()
                task = asyncio.ensure_future(sock.run(spec, opened))
                done, _pending = await asyncio.wait(
                    [task, opened], return_when=asyncio.FIRST_COMPLETED
                )
            if opened in done:
                sockets.append(sock)
                tasks.append(task)
                return
            error = repr(task.exception())[:200]
        failures.append(error)

    started = time.monotonic()
    await asyncio.gather(*(open_one() for _i in range(count)))
    replies.put(
        {
            "opened": len(sockets),
            "failed": len(failures),
            "retried": len(retried),
            "errors": failures[:3],
            "open_seconds": time.monotonic() - started,
        }
    )
    loop = asyncio.get_running_loop()
    while True:
        try:
            command = await loop.run_in_executor(None, commands.get, True, 0.5)
        except queue.Empty:
            continue
        if command == "status":
            seen = max((max(s.received, default=0) for s in sockets), default=0)
            replies.put(
                {
                    "alive": sum(1 for s in sockets if s.closed is None),
                    "closed": [s.closed for s in sockets if s.closed is not None],
                    # what the open sockets got: a closed one gets no more
                    "received": [len(s.received) for s in sockets if s.closed is None],
                    "warm": [min(s.received, default=0) < 0 for s in sockets],
                    "max_seq": seen,
                }
            )
        elif command == "reset":
            for sock in sockets:
                sock.received.clear()
            replies.put(True)
        elif command == "stop":
            replies.put(
                {
                    "received": [
                        {seq: lat for seq, lat in s.received.items() if seq > 0}
                        for s in sockets
                    ],
                    "closed": [s.closed for s in sockets if s.closed is not None],
                }
            )
            for sock in sockets:
                sock.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            return


def hold(spec, count, commands, replies):
    """Process body: open ``count`` sockets described by ``spec`` (host, port,
    path, headers, channels, concurrency), then serve commands until ``stop``."""
    raise_nofile()
    asyncio.run(_hold(spec, count, commands, replies))
