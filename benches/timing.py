"""Timing shared by the benchmarks that run commands in turn: the wall,
user and system time of one child process, and rounds of several, each
round in the opposite order of the last, so that a machine whose load
drifts slows them alike."""
import resource
import subprocess
import time


def run(cmd):
    """(wall, user, system) seconds of `cmd`, its output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def interleaved(cmds, rounds):
    """Each command of the dict `cmds` run once untimed (to warm the
    cache), then `rounds` times in turn: {name: [(wall, user, system), …]}."""
    order = list(cmds)
    for name in order:
        run(cmds[name])
    times = {name: [] for name in order}
    for r in range(rounds):
        for name in order if r % 2 == 0 else reversed(order):
            times[name].append(run(cmds[name]))
    return times
