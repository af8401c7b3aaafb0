"""serve_latency.py FS_SERVE N RATE: the time from a record written to
fs-serve's standard input to its arrival at a push client, at a low
rate: N records, RATE a second, each of a new aircraft. Prints
"p50_ms p99_ms max_ms received". Extra arguments go to fs-serve."""
import json, os, socket, subprocess, sys, tempfile, time

prog, n, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
d = tempfile.mkdtemp()
pf = os.path.join(d, "port")
srv = subprocess.Popen([prog, "-q", "--listen", "127.0.0.1:0", "--port-file", pf] + sys.argv[4:],
                       stdin=subprocess.PIPE)
while not os.path.exists(pf):
    time.sleep(0.01)
port = int(open(pf).read())
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /events HTTP/1.0\r\n\r\n")
s.settimeout(0.001)
sent, lat, buf = {}, [], b""

def drain():
    global buf
    try:
        while True:
            data = s.recv(1 << 16)
            if not data:
                return
            buf += data
    except (socket.timeout, BlockingIOError):
        pass
    now = time.monotonic_ns()
    while b"\n\n" in buf:
        ev, buf = buf.split(b"\n\n", 1)
        for line in ev.split(b"\n"):
            if line.startswith(b"data: "):
                for a in json.loads(line[6:]).get("aircraft", []):
                    t = sent.pop(a["icao24"], None)
                    if t is not None:
                        lat.append((now - t) / 1e6)

time.sleep(0.3)
drain()
t0 = time.time()
for i in range(n):
    due = i / rate
    while time.time() - t0 < due:
        drain()
    icao = "%06x" % (0xa00000 + i)
    srv.stdin.write(('{"timestamp":%d,"icao24":"%s","latitude":50,"longitude":1}\n'
                     % (int(time.time() * 1000), icao)).encode())
    srv.stdin.flush()
    sent[icao] = time.monotonic_ns()
end = time.time() + 2
while sent and time.time() < end:
    drain()
srv.terminate()
srv.wait()
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
print("%.1f %.1f %.1f %d" % (q(0.5), q(0.99), lat[-1] if lat else float("nan"), len(lat)))
