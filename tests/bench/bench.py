#!/usr/bin/python3
"""Helpers of tests/bench/bench.sh (Debian's /usr/bin/python3, no modules).

  bench.py stamp
      copies standard input to standard output, each line prefixed with
      the wall clock in microseconds at which it was read ("1795... line").
      portlight's stderr and mdns_browse.py's watch go through it, so
      every step of an announcement has a time on one clock.
  bench.py latency EVENTS PORTLIGHT-LOG WATCH-LOG NAME...
      the start->visible and stop->gone steps of containers NAME (their
      instance name is their container name), from dockerd's /events
      (raw JSON lines: timeNano), portlight's stamped debug log and the
      stamped zeroconf watch in netns B; prints a table and one line per
      container with any step missing.
"""

import json
import os
import re
import statistics
import sys
import time


def cmd_stamp():
    out = sys.stdout.buffer
    rest = b""
    while True:
        data = os.read(0, 65536)
        if not data:
            break
        t = time.time_ns() // 1000
        rest += data
        *lines, rest = rest.split(b"\n")
        for line in lines:
            out.write(b"%d %s\n" % (t, line))
        out.flush()
    if rest:
        out.write(b"%d %s\n" % (time.time_ns() // 1000, rest))
    return 0


def read_stamped(path):
    rows = []
    with open(path, "rb") as f:
        for line in f:
            t, _, text = line.rstrip(b"\n").partition(b" ")
            try:
                rows.append((int(t), text.decode("utf-8", "replace")))
            except ValueError:
                continue
    return rows


def read_events(path):
    """(µs, action, id, name) of every container event."""
    evs = []
    with open(path, "rb") as f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("Type") != "container":
                continue
            actor = e.get("Actor") or {}
            name = (actor.get("Attributes") or {}).get("name", "")
            evs.append((e.get("timeNano", 0) // 1000, e.get("Action", ""),
                        actor.get("ID", ""), name))
    return evs


def first(rows, after, pattern):
    """Time of the first row at or after `after` matching pattern."""
    rx = re.compile(pattern)
    for t, text in rows:
        if t >= after and rx.search(text):
            return t
    return None


def steps_of(name, evs, log, watch):
    """The start and stop steps of container name, in µs, or None."""
    out = {}
    for action, kind in (("start", "up"), ("die", "down")):
        ev = [e for e in evs if e[1] == action and e[3] == name]
        if not ev:
            return None
        t_ev, _, cid, _ = ev[-1]
        sid = re.escape(cid[:12])
        n = re.escape(name)
        # dockerd's clock and ours are the same machine's; a line is
        # stamped when read, after the event, so look from the event on
        # (less a little for rounding).
        t_rx = first(log, t_ev - 1000, r"event container %s %s" % (action, sid))
        if t_rx is None:
            return None
        if kind == "up":
            t_in = first(log, t_rx, r"container %s \(%s\): running" % (sid, n))
            t_co = first(log, t_in or t_rx, r"\(%s\): committed" % n)
            t_es = first(log, t_co or t_rx, r"\(%s\): announced" % n)
            t_wi = first(watch, t_co or t_rx,
                         r'"event": "added", "name": "%s"' % n)
            out["up"] = (t_ev, t_rx, t_in, t_co, t_es, t_wi)
        else:
            t_wd = first(log, t_rx, r"\(%s\): withdrawn" % n)
            t_wi = first(watch, t_wd or t_rx,
                         r'"event": "removed", "name": "%s"' % n)
            out["down"] = (t_ev, t_rx, t_wd, t_wi)
    return out


def ms(a, b):
    if a is None or b is None:
        return None
    return (b - a) / 1000.0


def summary(label, values):
    v = [x for x in values if x is not None]
    if not v:
        return "  %-44s %s" % (label, "no samples")
    v.sort()
    p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
    return "  %-44s median %8.1f  p90 %8.1f  max %8.1f ms  (n=%d)" % (
        label, statistics.median(v), p90, v[-1], len(v))


def cmd_latency(args):
    evs = read_events(args[0])
    log = read_stamped(args[1])
    watch = read_stamped(args[2])
    cols = {k: [] for k in ("ev_rx", "rx_in", "in_co", "ev_co", "co_es",
                            "es_wi", "ev_wi", "dev_rx", "drx_wd", "dev_wd",
                            "dwd_wi", "dev_wi")}
    missing = []
    for name in args[3:]:
        s = steps_of(name, evs, log, watch)
        if s is None or "up" not in s or "down" not in s:
            missing.append(name)
            continue
        t_ev, t_rx, t_in, t_co, t_es, t_wi = s["up"]
        cols["ev_rx"].append(ms(t_ev, t_rx))
        cols["rx_in"].append(ms(t_rx, t_in))
        cols["in_co"].append(ms(t_in, t_co))
        cols["ev_co"].append(ms(t_ev, t_co))
        cols["co_es"].append(ms(t_co, t_es))
        cols["es_wi"].append(ms(t_es, t_wi))
        cols["ev_wi"].append(ms(t_ev, t_wi))
        d_ev, d_rx, d_wd, d_wi = s["down"]
        cols["dev_rx"].append(ms(d_ev, d_rx))
        cols["drx_wd"].append(ms(d_rx, d_wd))
        cols["dev_wd"].append(ms(d_ev, d_wd))
        cols["dwd_wi"].append(ms(d_wd, d_wi))
        cols["dev_wi"].append(ms(d_ev, d_wi))
    print("start -> visible (dockerd's start event to zeroconf in B):")
    print(summary("event -> portlight reads it", cols["ev_rx"]))
    print(summary("read -> inspect answered (dockerd)", cols["rx_in"]))
    print(summary("inspected -> group committed (ours+D-Bus)", cols["in_co"]))
    print(summary("= portlight's share: event -> committed", cols["ev_co"]))
    print(summary("committed -> established (Avahi probing)", cols["co_es"]))
    print(summary("established -> zeroconf in B sees it", cols["es_wi"]))
    print(summary("total: event -> seen in B", cols["ev_wi"]))
    print("stop -> gone (dockerd's die event to zeroconf in B):")
    print(summary("event -> portlight reads it", cols["dev_rx"]))
    print(summary("read -> group freed (goodbye sent)", cols["drx_wd"]))
    print(summary("= portlight's share: event -> withdrawn", cols["dev_wd"]))
    print(summary("withdrawn -> zeroconf in B drops it", cols["dwd_wi"]))
    print(summary("total: event -> gone in B", cols["dev_wi"]))
    for name in missing:
        print("  %s: a step is missing from the logs" % name)
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "stamp":
        return cmd_stamp()
    if len(argv) >= 6 and argv[1] == "latency":
        return cmd_latency(argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
