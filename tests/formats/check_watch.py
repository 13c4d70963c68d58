#!/usr/bin/python3
"""check_watch.py: the last-change timestamps of a `watch -o prometheus` exposition against
the watch's own log lines (tests/formats/run.sh, a server toggled between runs).

Usage: check_watch.py EXPOSITION BACK_LINE FIRST_LINE
  BACK_LINE   the log line of the run that saw the toggled server back
  FIRST_LINE  the log line of the first run
The toggled probe's timestamp must be that run's (its log time is to the second), the steady
probe's the first run's, and both no later than the last run. Prints why and exits 1 if not.
"""

import calendar
import json
import re
import sys
import time


def sample(text, name, labels):
    m = re.search(r"^%s\{%s[^}]*\} ([0-9.]+)$" % (name, labels), text, re.M)
    if not m:
        sys.exit("no sample %s{%s...}" % (name, labels))
    return float(m.group(1))


def logged(line):
    return calendar.timegm(time.strptime(json.loads(line)["time"], "%Y-%m-%dT%H:%M:%SZ"))


def main(argv):
    text = open(argv[1], encoding="utf-8").read()
    back, first = logged(argv[2]), logged(argv[3])
    name = "ztprobe_probe_last_change_timestamp_seconds"
    toggled = sample(text, name, 'role="web",probe="toggled"')
    steady = sample(text, name, 'role="web",probe="steady"')
    last = sample(text, "ztprobe_last_run_timestamp_seconds", 'role="web"')
    # A log line's time is the run's start, cut to the second; the timestamp is its end.
    if not (back <= toggled < back + 3 and first <= steady < first + 3 and steady < toggled <= last):
        print("toggled %.3f (run seen back at %d), steady %.3f (first run %d), last run %.3f"
              % (toggled, back, steady, first, last))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
