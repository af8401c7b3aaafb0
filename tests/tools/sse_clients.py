"""sse_clients.py PORT N: N Server-Sent Events clients of 127.0.0.1:PORT/events
in one process, for fs-serve's tests and benchmarks.

Each client reads its stream until the server ends it (or SIGTERM), then
one line per client goes to stdout: the number of events it got, and
every "icao24@latitude" of the aircraft in them, sorted, comma-joined.
With --quiet only the event counts; with --latency, each client notes
the wall-clock arrival of every event whose aircraft carry a
"sent_ns" field, and prints "icao24 sent_ns arrival_ns" lines.
"""
import json, selectors, signal, socket, sys, time

args = [a for a in sys.argv[1:] if not a.startswith("--")]
quiet = "--quiet" in sys.argv
latency = "--latency" in sys.argv
port, n = int(args[0]), int(args[1])
sel = selectors.DefaultSelector()
clients = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    # HTTP/1.0: no chunked encoding, the stream ends when the connection does.
    s.sendall(b"GET /events HTTP/1.0\r\nHost: t\r\n\r\n")
    s.setblocking(False)
    c = {"s": s, "buf": b"", "events": 0, "seen": set(), "head": True, "lat": []}
    clients.append(c)
    sel.register(s, selectors.EVENT_READ, c)

stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)

def event(c, block):
    for line in block.split(b"\n"):
        if line.startswith(b"data: "):
            c["events"] += 1
            if quiet and not latency:
                return
            d = json.loads(line[6:])
            now = time.time_ns()
            for a in d.get("aircraft", []):
                if latency:
                    c["lat"].append("%s %s %d" % (a["icao24"], a["timestamp"], now))
                else:
                    c["seen"].add("%s@%s" % (a["icao24"], a.get("latitude")))

open_ = n
while open_ > 0 and not stop:
    for key, _ in sel.select(timeout=0.5):
        c = key.data
        try:
            data = c["s"].recv(1 << 16)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:
            sel.unregister(c["s"])
            c["s"].close()
            open_ -= 1
            continue
        c["buf"] += data
        if c["head"]:
            i = c["buf"].find(b"\r\n\r\n")
            if i < 0:
                continue
            c["buf"] = c["buf"][i + 4:]
            c["head"] = False
        while True:
            i = c["buf"].find(b"\n\n")
            if i < 0:
                break
            event(c, c["buf"][:i])
            c["buf"] = c["buf"][i + 2:]
out = sys.stdout
for c in clients:
    if latency:
        out.write("\n".join(c["lat"]) + "\n")
    elif quiet:
        out.write("%d\n" % c["events"])
    else:
        out.write("%d %s\n" % (c["events"], ",".join(sorted(c["seen"]))))
