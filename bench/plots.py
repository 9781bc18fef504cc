"""PNG plots of latency distributions (matplotlib, full mode only)."""


def latency_plot(path, title, series):
    """A CDF of each ``{label: [seconds]}`` series, in ms, written to ``path``.
    Returns False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for label, values in series.items():
        if not values:
            continue
        ordered = sorted(v * 1000 for v in values)
        n = len(ordered)
        ax.plot(ordered, [(i + 1) / n for i in range(n)], label=f"{label} (n={n:,})")
    ax.set_xscale("log")
    ax.set_xlabel("publish-to-receive latency (ms, log scale)")
    ax.set_ylabel("fraction of deliveries")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True
