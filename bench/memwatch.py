"""Run a command and report its wall time and the peak memory of its whole process tree."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path


def _tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry.name)] = int(line.split()[1])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run(
    command: list[str], interval: float = 0.1, **kwargs
) -> tuple[float, float, subprocess.CompletedProcess]:
    """(seconds, peak GiB of the process tree, completed process)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - start
    return (
        seconds,
        peak / 1024 / 1024,
        subprocess.CompletedProcess(command, proc.returncode, out, err),
    )


if __name__ == "__main__":
    import sys

    secs, gib, result = run(sys.argv[1:])
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr[-2000:])
    print(f"{secs:.1f} s, peak {gib:.2f} GiB, exit {result.returncode}", file=sys.stderr)
    os._exit(result.returncode)
