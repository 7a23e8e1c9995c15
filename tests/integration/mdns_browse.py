#!/usr/bin/python3
"""An mDNS/DNS-SD client independent of portlight, for the integration tests.

Run with Debian's /usr/bin/python3 (python3-zeroconf) inside the test's
second network namespace, so that it sees only what went on the wire:

  browse TYPE... [--timeout S] [--subtype SUB]...
      JSON of every instance of each TYPE present when the time is up:
      {"type": ..., "types": [...], "services": [{"name", "instance",
      "type", "port", "txt", "server", "addresses", "subtypes"}],
      "removed": [...]}.  TYPE '*' is every type the network announces
      (DNS-SD service type enumeration); "subtypes" lists which of the
      --subtype browses found the instance.
  wait NAME TYPE [--port P] [--txt K=V]... [--server HOST] [--address IP]
      [--subtype SUB]... [--timeout S]
      exit 0 (printing the instance as JSON, with "seen_at_ms", the wall
      clock in ms) once instance NAME of TYPE is present and resolves with
      every given property; 1 on timeout (printing what it saw instead).
  gone NAME TYPE [--timeout S] [--settle S]
      exit 0 once NAME is not present: at once when it was seen and then
      withdrawn, else after --settle seconds (default 2) without an answer;
      prints {"was_present", "elapsed", "gone_at_ms"}; 1 if it is still
      there when the time is up.
  absent NAME|'*' TYPE [--for S] [--port P]
      exit 0 if no instance NAME (any with '*'), with port P if given,
      shows up during S seconds; 1 (printing it) if one does.
  resolve HOST[.local]... [--timeout S] [--settle S]
      print the addresses of HOST.local, one a line; 1 if none.  With
      --settle, keep listening S seconds after the first answer and print
      every address seen by then (A and AAAA may come apart).  With
      several hosts, one JSON object {HOST: [addresses]} (a host that did
      not resolve has []), exit 1 unless every one resolved.
  watch TYPE [--timeout S]
      one JSON line per change seen (added, updated, removed) with a time.

TYPE is _svc._tcp, with or without ".local.".  Instance names are
compared exactly (case-sensitively).  --interface IP (before the command,
repeatable) chooses the interfaces; default: every non-loopback IPv4
address of the namespace.  --verbose prints timings on stderr.  --ready
FILE (before the command) creates FILE once the command listens (its
browsers exist, or for resolve its first query is about to go; for gone,
once it has seen NAME present), so that a test running it in the
background knows when it may act.
"""

import argparse
import ipaddress
import json
import socket
import sys
import threading
import time

try:
    import ifaddr
    from zeroconf import (DNSOutgoing, DNSQuestion, IPVersion,
                          ServiceBrowser, ServiceStateChange, Zeroconf,
                          current_time_millis)
    from zeroconf.const import _CLASS_IN, _FLAGS_QR_QUERY, _TYPE_A, _TYPE_AAAA
except ImportError as e:  # pragma: no cover
    sys.stderr.write("mdns_browse.py: needs python3-zeroconf "
                     "(apt-get install python3-zeroconf; run /usr/bin/python3): "
                     "%s\n" % e)
    sys.exit(2)

POLL = 0.1
VERBOSE = False
READY = None  # --ready FILE, created once by mark_ready()


def mark_ready():
    global READY
    if READY is not None:
        open(READY, "w").close()
        READY = None


def full_type(t):
    t = t.strip()
    if not t.endswith("."):
        t += "."
    if not t.endswith(".local."):
        t += "local."
    return t


def full_host(h):
    h = h.strip()
    if not h.endswith("."):
        h += "."
    if not h.endswith(".local."):
        h += "local."
    return h


def default_interfaces():
    ips = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                a = ipaddress.ip_address(ip.ip)
                if not a.is_loopback:
                    ips.append(ip.ip)
    return ips


def make_zc(args):
    ifs = args.interface or default_interfaces()
    if not ifs:
        sys.stderr.write("mdns_browse.py: no non-loopback IPv4 address here\n")
        sys.exit(2)
    return Zeroconf(interfaces=ifs, ip_version=IPVersion.V4Only)


def txt_dict(info):
    out = {}
    for k, v in (info.properties or {}).items():
        ks = k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k)
        if v is None:
            out[ks] = None
        else:
            out[ks] = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
    return out


class Watcher:
    """Browse TYPE (and TYPE's subtypes) and keep the set of present names.
    ready: mark_ready() once the browsers exist (gone marks it itself)."""

    def __init__(self, zc, stype, subtypes=(), events=None, ready=True):
        self.zc = zc
        self.type = stype
        self.lock = threading.Lock()
        self.present = {}      # full name -> time first seen
        self.removed = []      # full names removed
        self.events = events   # callable(event, name) or None
        self.sub_present = {s: set() for s in subtypes}
        self.browsers = [ServiceBrowser(zc, stype, handlers=[self._on])]
        for s in subtypes:
            st = "%s._sub.%s" % (s.split("._sub.")[0], stype)
            self.browsers.append(ServiceBrowser(
                zc, st, handlers=[self._sub_handler(s)]))
        if ready:
            mark_ready()

    def _on(self, zeroconf, service_type, name, state_change):
        with self.lock:
            if state_change is ServiceStateChange.Added:
                self.present.setdefault(name, time.monotonic())
                ev = "added"
            elif state_change is ServiceStateChange.Removed:
                self.present.pop(name, None)
                self.removed.append(name)
                ev = "removed"
            else:
                ev = "updated"
        if self.events:
            self.events(ev, name)

    def _sub_handler(self, sub):
        def h(zeroconf, service_type, name, state_change):
            with self.lock:
                if state_change is ServiceStateChange.Removed:
                    self.sub_present[sub].discard(name)
                else:
                    self.sub_present[sub].add(name)
        return h

    def names(self):
        with self.lock:
            return list(self.present)

    def instance(self, full):
        suffix = "." + self.type
        return full[:-len(suffix)] if full.endswith(suffix) else full

    def full(self, instance):
        return "%s.%s" % (instance, self.type)

    def resolve(self, full, timeout_ms=1500):
        info = self.zc.get_service_info(self.type, full, timeout=timeout_ms)
        d = {
            "name": self.instance(full),
            "instance": full,
            "type": self.type,
            "port": None,
            "txt": {},
            "server": None,
            "addresses": [],
            "subtypes": [],
            "resolved": False,
        }
        if info is not None:
            d.update({
                "port": info.port,
                "txt": txt_dict(info),
                "server": info.server,
                "addresses": sorted(info.parsed_addresses()),
                "resolved": True,
            })
        with self.lock:
            d["subtypes"] = sorted(s for s, names in self.sub_present.items()
                                   if full in names)
        return d

    def snapshot(self):
        return [self.resolve(n) for n in sorted(self.names())]

    def close(self):
        for b in self.browsers:
            b.cancel()


def parse_txt(pairs):
    out = {}
    for p in pairs or []:
        if "=" in p:
            k, v = p.split("=", 1)
            out[k] = v
        else:
            out[p] = None
    return out


def mismatches(d, args, want_txt):
    why = []
    if not d["resolved"]:
        why.append("not resolved")
    if args.port is not None and d["port"] != args.port:
        why.append("port %s != %s" % (d["port"], args.port))
    for k, v in want_txt.items():
        if k not in d["txt"]:
            why.append("TXT has no %s" % k)
        elif d["txt"][k] != v:
            why.append("TXT %s=%r != %r" % (k, d["txt"][k], v))
    if args.server and (d["server"] or "").rstrip(".").lower() != \
            full_host(args.server).rstrip(".").lower():
        why.append("server %s != %s" % (d["server"], args.server))
    if args.address and args.address not in d["addresses"]:
        why.append("address %s not in %s" % (args.address, d["addresses"]))
    for s in args.subtype or []:
        if s.split("._sub.")[0] not in d["subtypes"]:
            why.append("not in subtype %s" % s)
    return why


def out(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def elapsed(t0):
    if VERBOSE:
        sys.stderr.write("elapsed=%.2f\n" % (time.monotonic() - t0))


def cmd_browse(zc, args):
    types = [full_type(t) for t in args.type if t != "*"]
    watchers = {t: Watcher(zc, t, args.subtype or []) for t in types}
    lock = threading.Lock()

    def on_type(zeroconf, service_type, name, state_change):
        # PTRs of _services._dns-sd._udp name the types on offer.
        if state_change is not ServiceStateChange.Added:
            return
        with lock:
            if name not in watchers:
                watchers[name] = Watcher(zc, name, args.subtype or [])

    enum = None
    if "*" in args.type:
        enum = ServiceBrowser(zc, "_services._dns-sd._udp.local.",
                              handlers=[on_type])
    mark_ready()
    time.sleep(args.timeout)
    if enum is not None:
        enum.cancel()
    with lock:
        ws = [watchers[t] for t in sorted(watchers)]
    services, removed = [], set()
    for w in ws:
        services += w.snapshot()
        removed |= {w.instance(n) for n in w.removed}
    out({"type": full_type(args.type[0]) if args.type[0] != "*" else "*",
         "types": [w.type for w in ws], "services": services,
         "removed": sorted(removed)})
    for w in ws:
        w.close()
    return 0


def cmd_wait(zc, args):
    t0 = time.monotonic()
    stype = full_type(args.type)
    want_txt = parse_txt(args.txt)
    w = Watcher(zc, stype, args.subtype or [])
    full = w.full(args.name)
    last = None
    deadline = t0 + args.timeout
    while time.monotonic() < deadline:
        if full in w.names():
            d = w.resolve(full, timeout_ms=500)
            last = d
            if not mismatches(d, args, want_txt):
                d["seen_at_ms"] = int(time.time() * 1000)
                d["elapsed"] = round(time.monotonic() - t0, 3)
                out(d)
                elapsed(t0)
                w.close()
                return 0
        time.sleep(POLL)
    seen = w.snapshot()
    sys.stderr.write("mdns_browse.py: %s not seen as wanted within %.1f s\n"
                     % (full, args.timeout))
    if last is not None:
        sys.stderr.write("  it differs: %s\n" % "; ".join(mismatches(last, args, want_txt)))
    sys.stderr.write("  seen: %s\n" % json.dumps(seen, sort_keys=True))
    w.close()
    return 1


def cmd_gone(zc, args):
    t0 = time.monotonic()
    stype = full_type(args.type)
    w = Watcher(zc, stype, ready=False)
    full = w.full(args.name)
    deadline = t0 + args.timeout
    was_present = False
    while time.monotonic() < deadline:
        now = time.monotonic()
        if full in w.names():
            if not was_present:
                mark_ready()  # gone: ready once the name is seen
            was_present = True
        elif was_present or now - t0 >= args.settle:
            # Gone after being seen, or not answering after --settle.
            out({"name": args.name, "was_present": was_present,
                 "elapsed": round(now - t0, 3),
                 "gone_at_ms": int(time.time() * 1000)})
            elapsed(t0)
            w.close()
            return 0
        time.sleep(POLL / 2)
    sys.stderr.write("mdns_browse.py: %s still present after %.1f s: %s\n"
                     % (full, args.timeout, json.dumps(w.resolve(full), sort_keys=True)))
    w.close()
    return 1


def cmd_absent(zc, args):
    stype = full_type(args.type)
    w = Watcher(zc, stype)
    end = time.monotonic() + getattr(args, "for")
    bad = {}
    while time.monotonic() < end:
        for n in w.names():
            if n in bad:
                continue
            if args.name != "*" and n != w.full(args.name):
                continue
            d = w.resolve(n, timeout_ms=500)
            if args.port is None or d["port"] == args.port:
                bad[n] = d
        time.sleep(POLL)
    w.close()
    if bad:
        sys.stderr.write("mdns_browse.py: seen, but should not be:\n")
        for d in bad.values():
            sys.stderr.write("  %s\n" % json.dumps(d, sort_keys=True))
        out({"seen": list(bad.values())})
        return 1
    return 0


def cmd_resolve(zc, args):
    t0 = time.monotonic()
    hosts = [full_host(h) for h in args.host]
    deadline = t0 + args.timeout
    next_query = 0.0
    delay = 0.25
    first = {}
    found = {}
    mark_ready()
    while True:
        now = time.monotonic()
        for host in hosts:
            recs = zc.cache.get_all_by_details(host, _TYPE_A, _CLASS_IN) + \
                zc.cache.get_all_by_details(host, _TYPE_AAAA, _CLASS_IN)
            addrs = set()
            for r in recs:
                # zeroconf's clock, not the wall clock.
                if r.is_expired(current_time_millis()):
                    continue
                fam = socket.AF_INET if len(r.address) == 4 else socket.AF_INET6
                addrs.add(socket.inet_ntop(fam, r.address))
            if addrs:
                first.setdefault(host, now)
                found.setdefault(host, set()).update(addrs)
        settled = [h for h in hosts
                   if h in first and now - first[h] >= args.settle]
        if len(settled) == len(hosts):
            break
        # A host not answering is given up at the deadline; one that
        # answered late still gets its --settle.
        if now >= deadline and not [h for h in hosts
                                    if h in first and h not in settled]:
            break
        if now >= next_query:
            q = DNSOutgoing(_FLAGS_QR_QUERY)
            for host in hosts:
                if host not in first:
                    q.add_question(DNSQuestion(host, _TYPE_A, _CLASS_IN))
                    q.add_question(DNSQuestion(host, _TYPE_AAAA, _CLASS_IN))
            if q.questions:
                zc.send(q)
            next_query = now + delay
            delay = min(delay * 2, 2.0)
        time.sleep(POLL)
    elapsed(t0)
    missing = [h for h in hosts if h not in found]
    for h in missing:
        sys.stderr.write("mdns_browse.py: %s did not resolve within %.1f s\n"
                         % (h, args.timeout))
    if len(args.host) == 1 and found:
        for a in sorted(found[hosts[0]]):
            sys.stdout.write(a + "\n")
    elif len(args.host) > 1:
        out({h: sorted(found.get(full_host(h), ())) for h in args.host})
    return 1 if missing else 0


def cmd_watch(zc, args):
    t0 = time.monotonic()
    stype = full_type(args.type)

    def ev(kind, name):
        out({"t": round(time.monotonic() - t0, 3), "event": kind,
             "name": name[:-len(stype) - 1] if name.endswith("." + stype) else name})

    w = Watcher(zc, stype, events=ev)
    time.sleep(args.timeout)
    w.close()
    return 0


def main(argv):
    p = argparse.ArgumentParser(prog="mdns_browse.py",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--verbose", action="store_true",
                   help="print timings (elapsed=S) on stderr")
    p.add_argument("--interface", action="append",
                   help="IPv4 address of an interface to use (repeatable)")
    p.add_argument("--ready", metavar="FILE",
                   help="create FILE once the command listens")
    sub = p.add_subparsers(dest="cmd", required=True)

    b = sub.add_parser("browse")
    b.add_argument("type", nargs="+")
    b.add_argument("--timeout", type=float, default=3.0)
    b.add_argument("--subtype", action="append")

    w = sub.add_parser("wait")
    w.add_argument("name")
    w.add_argument("type")
    w.add_argument("--port", type=int)
    w.add_argument("--txt", action="append", metavar="K=V")
    w.add_argument("--server")
    w.add_argument("--address")
    w.add_argument("--subtype", action="append")
    w.add_argument("--timeout", type=float, default=10.0)

    g = sub.add_parser("gone")
    g.add_argument("name")
    g.add_argument("type")
    g.add_argument("--timeout", type=float, default=10.0)
    g.add_argument("--settle", type=float, default=2.0)

    a = sub.add_parser("absent")
    a.add_argument("name")
    a.add_argument("type")
    a.add_argument("--for", type=float, default=3.0)
    a.add_argument("--port", type=int)

    r = sub.add_parser("resolve")
    r.add_argument("host", nargs="+")
    r.add_argument("--timeout", type=float, default=5.0)
    r.add_argument("--settle", type=float, default=0.0)

    t = sub.add_parser("watch")
    t.add_argument("type")
    t.add_argument("--timeout", type=float, default=10.0)

    args = p.parse_args(argv)
    global VERBOSE, READY
    VERBOSE = args.verbose
    READY = args.ready
    zc = make_zc(args)
    try:
        return {"browse": cmd_browse, "wait": cmd_wait, "gone": cmd_gone,
                "absent": cmd_absent, "resolve": cmd_resolve,
                "watch": cmd_watch}[args.cmd](zc, args)
    finally:
        zc.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
