#!/usr/bin/python3
"""The hostile corpus of test_limits.sh: Docker API create bodies.

  corpus.py DIR IMAGE

writes DIR/NAME.json for each container of the corpus (raw bytes where
the test needs bytes JSON cannot say, like invalid UTF-8) and prints the
names, one a line.  Every container runs on the host network and exposes
port 80, so each has something valid to announce whatever else is wrong
with it: test_limits.sh checks what is announced, and that each hostile
value is logged naming the container and the reason.
"""

import json
import os
import sys

CMD = ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]


def body(image, labels, env=(), raw=None):
    """The create body; raw: (placeholder, bytes) pairs put in after."""
    doc = {
        "Image": image,
        "Cmd": CMD,
        "Labels": labels,
        "Env": list(env),
        "ExposedPorts": {"80/tcp": {}},
        "HostConfig": {"NetworkMode": "host"},
    }
    out = json.dumps(doc, ensure_ascii=True).encode()
    for placeholder, b in raw or ():
        out = out.replace(placeholder.encode(), b)
    return out


def corpus(image):
    many = {"portlight.enable": "true"}
    for i in range(1000):
        many["portlight.txt.k%04d" % i] = "v%d" % i
    return {
        # 64 bytes of name: too long, the container name is used.
        "h-long": body(image, {"portlight.name": "L" * 64,
                               "portlight.txt.ok": "1"}),
        # 63 bytes of UTF-8 (21 x U+20AC): just fits.
        "h-63": body(image, {"portlight.name": "\u20ac" * 21,
                             "portlight.txt.ok": "1"}),
        # Invalid UTF-8 bytes in a name, a TXT key and a TXT value.
        "h-utf8": body(image, {"portlight.name": "@NAME@",
                               "portlight.txt.@KEY@": "v",
                               "portlight.txt.val": "@VAL@",
                               "portlight.txt.ok": "1"},
                       raw=[("@NAME@", b"Bad\xff\xfeName"),
                            ("@KEY@", b"k\xc3"),
                            ("@VAL@", b"\xed\xa0\x80")]),
        # Control characters in a name, a TXT key, an alias.
        "h-ctl": body(image, {"portlight.name": "Tab\tName",
                              "portlight.txt.k\u0001": "v",
                              "portlight.txt.nl": "line1\nline2",
                              "portlight.alias": "ctl\u0007host,ctlok",
                              "portlight.txt.ok": "1"}),
        # NUL: in a value, and in a key that json-c would read as a
        # second portlight.name.
        "h-nul": body(image, {"portlight.name": "NulShop",
                              "portlight.name\u0000x": "Evil",
                              "portlight.txt.nul": "a\u0000b",
                              "portlight.txt.ok": "1"}),
        # 100 KB values: name, TXT, type, alias, env.
        "h-big": body(image, {"portlight.name": "B" * 102400,
                              "portlight.txt.big": "x" * 102400,
                              "portlight.type": "_" + "t" * 102400 + "._tcp",
                              "portlight.alias": "a" * 102400,
                              "portlight.txt.ok": "1"},
                      env=["PORTLIGHT_ANNOUNCE=" + "y" * 102400]),
        # 1000 TXT keys: the first ones up to 1300 bytes of TXT.
        "h-many": body(image, many),
        # Bad ports and types; the valid port 80 is still announced.
        "h-ports": body(image, {"portlight.name": "Ports",
                                "portlight.port": "99999,abc,0,-1,80/sctp,80",
                                "portlight.type": "_toolongservicename._tcp",
                                "portlight.service.x.port": "65536",
                                "portlight.service.x.type": "_Bad_Type._xyz",
                                "portlight.subtypes": "ok,b@d,_also-ok",
                                "portlight.txt.ok": "1"},
                        env=["PORTLIGHT_ANNOUNCE=;=;:::;Env=http:99999;"
                             "http:abc"]),
    }


def main(argv):
    d, image = argv[1], argv[2]
    os.makedirs(d, exist_ok=True)
    for name, b in corpus(image).items():
        with open(os.path.join(d, name + ".json"), "wb") as f:
            f.write(b)
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
