"""The markdown report of bench/compare: the machine, then per test a table of
medians (min–max over rounds) and ratios, the background load around each
round, and the exact commands. Standard library only."""

import os
import platform
import shlex
import statistics
import subprocess


def machine():
    """CPU model, cores, kernel: what a reader needs to weigh the figures."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s; %d logical CPUs; Linux %s" % (model, os.cpu_count() or 0, platform.release())


def load_average():
    return "%.2f %.2f %.2f" % os.getloadavg()


def revision(repo):
    try:
        head = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def figure(value):
    if value is None:
        return "–"
    if abs(value) >= 100:
        return "{:,.0f}".format(value)
    if abs(value) >= 10:
        return "%.1f" % value
    return "%.2f" % value


def spread(values):
    """'median (min–max)', or the single value."""
    values = [v for v in values if v is not None]
    if not values:
        return "–", None
    median = statistics.median(values)
    if len(values) == 1:
        return figure(median), median
    return "%s (%s–%s)" % (figure(median), figure(min(values)), figure(max(values))), median


def ratio(value, base):
    if value is None or not base:
        return "–"
    return "%.2f" % (value / base)


busy_key = "server_cpu_percent"
SATURATED_PERCENT = 80


def unsaturated(runs):
    busy = [r.get(busy_key) for r in runs if r is not None and r.get(busy_key) is not None]
    return bool(busy) and statistics.median(busy) < SATURATED_PERCENT


def test_table(test, results):
    """`results[row.label]` is the list of result dicts (one per round, None when it failed)."""
    primary = test.columns[0]
    medians = {}
    cells = {}
    for row in test.rows:
        runs = [r for r in results.get(row.label, []) if r is not None]
        cells[row.label] = []
        for column in test.columns:
            text, median = spread([r.get(column.key) for r in runs])
            cells[row.label].append(text)
            if column is primary:
                medians[row.label] = median
    has_reference = any(row.label == "reference" for row in test.rows)
    # uWebSockets, when given, is the one the performance targets are set against.
    has_uws = any(row.label == "uws" for row in test.rows) and test.baseline != "uws"
    header = ["server"] + ["%s%s" % (c.title, "" if c.higher_is_better else " (lower is better)")
                           for c in test.columns]
    header.append("÷ %s" % test.baseline)
    if has_reference:
        header.append("÷ reference")
    if has_uws:
        header.append("÷ uws")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    keys = {c.key for c in test.columns}
    starred = False
    for row in test.rows:
        runs = results.get(row.label, [])
        failed = sum(1 for r in runs if r is None)
        errors = sum(int(r.get("errors") or 0) for r in runs if r is not None)
        label = row.label
        if failed:
            label += " (%d of %d runs failed)" % (failed, len(runs))
        if errors:
            label += " (%d errors)" % errors
        if busy_key in keys and unsaturated(runs):
            label += " *"
            starred = True
        line = [label] + cells[row.label] + [ratio(medians[row.label], medians.get(test.baseline))]
        if has_reference:
            line.append(ratio(medians[row.label], medians.get("reference")))
        if has_uws:
            line.append(ratio(medians[row.label], medians.get("uws")))
        lines.append("| " + " | ".join(line) + " |")
    if starred:
        lines += ["", "\\* The server used less than %d%% of a CPU while measured: the generator "
                  "(one thread) set the pace, or other processes took the CPU (see the "
                  "background load). An unsaturated server handles more messages per wake-up, "
                  "which flatters its per-CPU-second figure; compare such rows with care." %
                  SATURATED_PERCENT]
    return lines


def render(options, repo, tests, results, rounds_log, commands, problems, skipped):
    out = ["# bench/compare: faye-ws serve side by side", ""]
    out.append("- Machine: %s" % machine())
    out.append("- Revision: %s" % revision(repo))
    out.append("- Rounds: %d, interleaved (every test and server once per round); "
               "measured %s s after %s s of warm-up per echo run" %
               (options.rounds, options.duration, options.warmup))
    out.append("- Servers pinned to CPU %s, the generator to CPU %s (taskset); figures are "
               "median (min–max) over the rounds; ratios are of medians." %
               (options.server_cpu, options.client_cpu))
    for name, why in skipped:
        out.append("- Left out: %s (%s)" % (name, why))
    out.append("")
    for test in tests:
        out.append("## %s: %s" % (test.name, test.title))
        out.append("")
        if not test.rows:
            out.append("No server selected can take this test.")
            out.append("")
            continue
        out.extend(test_table(test, results.get(test.name, {})))
        out.append("")
        if test.note:
            out.append(test.note)
            out.append("")
    out.append("## Background load")
    out.append("")
    out.append("| round | load average before | after |")
    out.append("|---|---|---|")
    for number, (before, after) in enumerate(rounds_log, 1):
        out.append("| %d | %s | %s |" % (number, before, after))
    out.append("")
    if problems:
        out.append("## Problems")
        out.append("")
        out.extend("- " + problem for problem in problems)
        out.append("")
    out.append("## Commands (round 1)")
    out.append("")
    out.append("```")
    for test_name, label, server_argv, client_argv in commands:
        out.append("# %s, %s" % (test_name, label))
        out.append(shlex.join(server_argv))
        out.append(shlex.join(client_argv))
    out.append("```")
    out.append("")
    return "\n".join(out)
