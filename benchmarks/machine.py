"""A one-line description of the machine a benchmark ran on."""

from __future__ import annotations

import os
import platform
import resource


def describe() -> str:
    """CPU model, cores, memory and Python: enough to compare runs."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            kib = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
            memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}, {platform.system()}"


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB: the kernel's high-water mark of its own address
    space (VmHWM). Not `ru_maxrss`: Linux keeps that across fork and exec, so a benchmark run in a
    child process would report its parent's peak as its own."""
    try:
        with open("/proc/self/status", encoding="utf-8") as status:
            return int(next(line.split()[1] for line in status if line.startswith("VmHWM"))) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
