"""``python benchmarks/measure.py OUT_FILE COMMAND...``: run COMMAND, write what it cost to OUT_FILE.

A process's ``ru_maxrss`` counts the memory of the process that started it, as it was at the
``exec``: a command started straight from pytest would show pytest's few hundred MB. Started from
this small process instead, it shows its own (or its largest worker's) peak. Exits with the
command's exit status.

- ``OUT_FILE`` not ending in ``.json``: the peak RSS of the largest process (``ru_maxrss``, KiB), as a
  number: what ``bench_pipeline.py`` reads.
- ``OUT_FILE`` ending in ``.json``: an object with ``wall_s``; ``cpu_s``, ``user_s``, ``sys_s`` (from
  ``os.wait4``: the command and every descendant it waited for, such as worker processes);
  ``maxrss_kib`` (the largest single process); and the peaks of the **whole process tree** (the
  command and all its descendants, found by a scan of ``/proc/*/stat`` every 0.5 s) summed over its
  processes, polled from a thread:

  - ``peak_tree_rss_kib``: resident memory (``/proc/PID/statm``), every 50 ms;
  - ``peak_tree_pss_kib`` and ``peak_tree_pss_anon_kib`` (``/proc/PID/smaps_rollup``). PSS
    (proportional set size) is the honest figure for forked workers: a page shared by the parent
    and three workers counts a quarter in each, where summed RSS counts it four times.
    ``Pss_Anon`` leaves out file pages (the mapped Python and numba libraries, the page cache of a
    memory-mapped input): the heap the command itself made. Reading ``smaps_rollup`` walks the
    page tables (about 15 ms per resident GB, and it holds the process's memory map lock), so it is
    polled every 50 ms only while that costs at most a tenth of the time: every 150 ms at 1 GB.
    Where it cannot be read (kernels before 4.14) the PSS fields are ``null`` and ``tree_source``
    says ``statm``.

  ``tree_cpu_s`` is the CPU time of every process seen in the tree (``/proc/PID/stat``, each process's
  last reading, taken at each scan): it counts processes that ``cpu_s`` misses because nobody waited
  for them (a JVM that Spark starts, and its Python workers), less what a process used after the last
  scan that saw it (at most ``TREE_EVERY`` of it).

  ``rss_samples`` and ``pss_samples`` say how many polls there were, ``peak_processes`` the most
  processes seen at once, ``measure_cpu_s`` what the polls cost (this process's CPU, not the
  command's; on a machine with few cores they still take some from it). A peak that lasts less than
  the interval between polls can be missed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

INTERVAL = 0.05
"""Seconds between polls of the tree's resident memory (``/proc/PID/statm``: microseconds a process)."""
TREE_EVERY = 0.5
"""Seconds between scans of ``/proc`` for the tree's processes (a few milliseconds a scan)."""
PSS_SHARE = 0.1
"""Most of its time this process spends reading ``smaps_rollup``, which walks the page tables: about
15 ms per GB resident. A PSS poll waits at least 1 / PSS_SHARE times the last one's duration."""
ROLLUP_FIELDS = {"Pss:": "pss", "Pss_Anon:": "pss_anon"}
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Peaks:
    """The largest sums over the process tree seen so far (KiB), and how many polls there were."""

    rss: int = 0
    pss: int | None = None
    pss_anon: int | None = None
    processes: int = 0
    rss_samples: int = 0
    pss_samples: int = 0
    source: str = "smaps_rollup"
    ticks: dict[int, int] = field(default_factory=dict)


def children_of() -> dict[int, list[int]]:
    """Every process's children, from ``/proc/*/stat`` (its fourth field is the parent's pid)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_bytes()
        except OSError:  # gone since the listing
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split(maxsplit=2)[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree(root: int) -> list[int]:
    """``root`` and all its descendants alive now."""
    children, out, todo = children_of(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_ticks(pids: list[int], ticks: dict[int, int]) -> None:
    """Record each process's user and system CPU ticks so far (``/proc/PID/stat``, fields 14 and 15)."""
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
        except OSError:  # gone
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        ticks[pid] = int(fields[11]) + int(fields[12])


def resident(pids: list[int]) -> tuple[int, int]:
    """Summed resident KiB of ``pids`` (``/proc/PID/statm``) and how many of them are still there."""
    total = alive = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_bytes().split()[1]) * PAGE_KIB
            alive += 1
        except (OSError, IndexError):
            continue
    return total, alive


def proportional(pids: list[int]) -> dict[str, int] | None:
    """Summed ``pss`` and ``pss_anon`` KiB of ``pids``; None where ``smaps_rollup`` cannot be read."""
    totals = dict.fromkeys(ROLLUP_FIELDS.values(), 0)
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except FileNotFoundError:  # gone
            continue
        except OSError:  # no smaps_rollup (kernels before 4.14)
            return None
        for line in text.splitlines():
            name, _, rest = line.partition(" ")
            if name in ROLLUP_FIELDS:
                totals[ROLLUP_FIELDS[name]] += int(rest.split()[0])
    return totals


def poll(root: int, peaks: Peaks, stop: threading.Event) -> None:
    """Poll the tree under ``root`` until ``stop`` is set: RSS every ``INTERVAL``, PSS as often as allowed."""
    pids: list[int] = []
    scanned = next_pss = 0.0
    while True:
        now = time.perf_counter()
        if now - scanned >= TREE_EVERY:
            pids, scanned = tree(root), now
            cpu_ticks(pids, peaks.ticks)
        rss, alive = resident(pids)
        peaks.rss, peaks.processes = max(peaks.rss, rss), max(peaks.processes, alive)
        peaks.rss_samples += 1
        if peaks.source == "smaps_rollup" and now >= next_pss:
            found = proportional(pids)
            if found is None:
                peaks.source = "statm"
            else:
                peaks.pss = max(peaks.pss or 0, found["pss"])
                peaks.pss_anon = max(peaks.pss_anon or 0, found["pss_anon"])
                peaks.pss_samples += 1
            took = time.perf_counter() - now
            next_pss = now + max(INTERVAL, took / PSS_SHARE)
        if stop.wait(INTERVAL):
            return


def run(out_file: Path, argv: list[str]) -> int:
    """Run ``argv``, write its costs to ``out_file``, return its exit status."""
    as_json = out_file.suffix == ".json"
    peaks, stop = Peaks(), threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(argv)
    poller = threading.Thread(target=poll, args=(proc.pid, peaks, stop), daemon=True)
    if as_json:
        poller.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if not as_json:
        out_file.write_text(str(usage.ru_maxrss))
        return proc.returncode
    stop.set()
    poller.join()
    result = {
        "argv": argv,
        "exit": proc.returncode,
        "wall_s": round(wall, 4),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
        "user_s": round(usage.ru_utime, 4),
        "sys_s": round(usage.ru_stime, 4),
        "tree_cpu_s": round(sum(peaks.ticks.values()) / TICKS, 2),
        "maxrss_kib": usage.ru_maxrss,
        "peak_tree_pss_kib": peaks.pss,
        "peak_tree_rss_kib": peaks.rss,
        "peak_tree_pss_anon_kib": peaks.pss_anon,
        "peak_processes": peaks.processes,
        "rss_samples": peaks.rss_samples,
        "pss_samples": peaks.pss_samples,
        "interval_s": INTERVAL,
        "tree_source": peaks.source,
        "measure_cpu_s": round(sum(os.times()[:2]), 3),
    }
    out_file.write_text(json.dumps(result, indent=1) + "\n")
    return proc.returncode


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__.split("\n")[0])
    sys.exit(run(Path(sys.argv[1]), sys.argv[2:]))
