"""Helpers of the benchmark: percentiles, summaries, clients run in threads
(no Odoo, no I/O)."""

import math
import threading
import time


def percentile(values, pct):
    """The ``pct`` percentile (0-100) of ``values``, interpolated linearly
    between the two nearest ranks (numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values, scale=1000.0):
    """count, p50, p95, p99, max of ``values`` (seconds), in ms by default."""

    def fmt(value):
        return None if value is None else round(value * scale, 2)

    return {
        "count": len(values),
        "p50": fmt(percentile(values, 50)),
        "p95": fmt(percentile(values, 95)),
        "p99": fmt(percentile(values, 99)),
        "max": fmt(max(values) if values else None),
    }


def ratio(ours, theirs):
    """``ours / theirs`` rounded, or None when either is missing or zero."""
    if not ours or not theirs:
        return None
    return round(ours / theirs, 3)


def markdown_table(headers, rows):
    """A GitHub markdown table; None cells print as an em dash."""

    def cell(value):
        if value is None:
            return "—"
        if isinstance(value, float):
            return f"{value:,.2f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join("---" for _h in headers) + " |",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def profile_top(collapsed, limit=30):
    """The functions holding most samples of a py-spy "raw" (collapsed
    stacks) profile: ``[(percent of samples, function)]``, inclusive (a
    function counts once per stack it appears in). Idle frames (waiting in
    ``select``/``accept``/``sleep``) are left out of the total."""
    idle = ("select", "poll", "accept", "sleep", "wait", "_recv_into", "recv")
    totals, busy = {}, 0
    for line in collapsed.splitlines():
        stack, _sep, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        leaf = frames[-1].split(" ")[0].strip("()")
        if leaf in idle:
            continue
        busy += int(count)
        for frame in set(frames):
            totals[frame] = totals.get(frame, 0) + int(count)
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:limit]
    return [(round(100.0 * n / busy, 1), frame) for frame, n in ranked if busy]


def run_threads(target, count, first=0):
    """Run ``target(i)`` for ``i`` from ``first``, ``count`` of them at once, in
    threads; the seconds until the last one ended."""
    threads = [threading.Thread(target=target, args=(first + i,)) for i in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started
