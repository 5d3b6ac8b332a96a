"""``python benchmarks/measure.py RSS_FILE COMMAND...``: run COMMAND, write its peak RSS (KiB) to RSS_FILE.

A process's ``ru_maxrss`` counts the memory of the process that started it, as it was at the
``exec``: a command started straight from pytest would show pytest's few hundred MB. Started from
this small process instead, it shows its own (or its largest worker's) peak. Exits with the
command's exit status.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

if __name__ == "__main__":
    rss_file, *argv = sys.argv[1:]
    proc = subprocess.Popen(argv)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    Path(rss_file).write_text(str(usage.ru_maxrss))
    sys.exit(proc.returncode)
