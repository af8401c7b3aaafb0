#!/usr/bin/python3
"""mongo_fixture: a small MongoDB server for the tests, and a client to look at one.

usage: mongo_fixture.py serve PORT_FILE LOG_FILE
       mongo_fixture.py dump URI DB COLL       the documents, by _id, typed
       mongo_fixture.py count URI DB COLL
       mongo_fixture.py info URI DB COLL       the collection's options and indexes
       mongo_fixture.py create URI DB COLL [validator-field]
       mongo_fixture.py drop URI DB COLL
       mongo_fixture.py dropdb URI DB -

serve: a MongoDB wire-protocol server made with MockupDB (Debian
python3-mockupdb) over an in-memory store. It listens on 127.0.0.1, on a
port the system picks, writes the port to PORT_FILE and serves until it
is killed. It answers the commands the flightstream programs send, and
those pymongo sends for the other subcommands:

  hello, isMaster, ping, buildInfo, endSessions
  insert       ordered or not; an _id already stored is a write error
               with code 11000 (not in a time-series collection, where
               MongoDB enforces no unique _id either); a document that a
               collection validator {FIELD: {$exists: false}} refuses is
               a write error with code 121, "Document failed validation"
  find         filter on top-level fields with equality, $eq, $gt, $gte,
               $lt, $lte, $in, $exists; sort; projection of fields to
               leave out; limit, skip, batchSize; cursors for the rest
  getMore, killCursors
  create       options (timeseries, expireAfterSeconds, validator) kept
  createIndexes  kept; the same name with other options is code 85
  drop, dropDatabase, listCollections, listIndexes
  anything else: code 59, no such command

Every command is logged to LOG_FILE as one line of relaxed extended
JSON: {"cmd": NAME, "db": ..., "doc": THE COMMAND} (an insert's
documents are left out and counted instead).

Faults, by signal: SIGUSR1 makes the server go away (the listening
socket and every connection closed), SIGUSR2 brings it back on the same
port with the same data. SIGSTOP and SIGCONT freeze and thaw it as
ever. SIGTERM ends it, and so does the end of the process that started
it.

The client subcommands use pymongo, so they work against this fixture
and against a real server alike. dump prints each document as one line
of canonical extended JSON, which shows every BSON type
({"$numberLong": ...}, {"$numberDouble": ...}, {"$date": ...}).
"""

import datetime
import itertools
import json
import os
import signal
import sys
import threading
import time
from collections import OrderedDict

import bson
from bson import json_util
from bson.int64 import Int64
from bson.objectid import ObjectId


# --- The server ----------------------------------------------------------

class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.colls = {}         # (db, name) -> {"docs": [...], "ids": set, "options": {}, "indexes": [...]}
        self.cursors = {}       # id -> (ns, remaining docs)
        self.next_cursor = itertools.count(1000)

    def coll(self, db, name, create=True):
        key = (db, name)
        if key not in self.colls and create:
            self.colls[key] = {"docs": [], "ids": set(), "options": OrderedDict(),
                               "indexes": [OrderedDict([("v", 2), ("key", OrderedDict([("_id", 1)])),
                                                        ("name", "_id_")])]}
        return self.colls.get(key)


STORE = Store()
LOG = None


def log(req, name):
    doc = OrderedDict((k, v) for k, v in req.doc.items() if k not in ("documents", "lsid", "$clusterTime"))
    if "documents" in req.doc:
        doc["ndocuments"] = len(req.doc["documents"])
    line = json_util.dumps({"cmd": name, "db": req.namespace, "doc": doc},
                           json_options=json_util.RELAXED_JSON_OPTIONS)
    LOG.write(line + "\n")
    LOG.flush()


def hello_doc():
    return OrderedDict([
        ("ismaster", True), ("isWritablePrimary", True), ("helloOk", True),
        ("maxBsonObjectSize", 16 * 1024 * 1024), ("maxMessageSizeBytes", 48000000),
        ("maxWriteBatchSize", 100000), ("localTime", datetime.datetime.utcnow()),
        ("minWireVersion", 0), ("maxWireVersion", 13), ("readOnly", False), ("ok", 1)])


TYPE_RANK = {type(None): 1, int: 2, Int64: 2, float: 2, str: 3, OrderedDict: 4, dict: 4,
             list: 5, bytes: 6, ObjectId: 7, bool: 8, datetime.datetime: 9}


def sort_key(v):
    rank = TYPE_RANK.get(type(v), 10)
    if rank in (4, 5, 6, 10):
        return (rank, repr(v))
    return (rank, v if v is not None else 0)


def cmp_ok(v, op, arg):
    if v is None or arg is None or TYPE_RANK.get(type(v)) != TYPE_RANK.get(type(arg)):
        return False
    return {"$gt": v > arg, "$gte": v >= arg, "$lt": v < arg, "$lte": v <= arg}[op]


def matches(doc, flt):
    for k, cond in flt.items():
        if k == "$and":
            if not all(matches(doc, c) for c in cond):
                return False
            continue
        present = k in doc
        v = doc.get(k)
        if isinstance(cond, dict) and cond and all(c.startswith("$") for c in cond):
            for op, arg in cond.items():
                if op == "$eq":
                    ok = present and v == arg
                elif op in ("$gt", "$gte", "$lt", "$lte"):
                    ok = present and cmp_ok(v, op, arg)
                elif op == "$in":
                    ok = present and any(v == a for a in arg)
                elif op == "$exists":
                    ok = present == bool(arg)
                else:
                    raise ValueError("unsupported operator " + op)
                if not ok:
                    return False
        elif not present or v != cond:
            return False
    return True


def validator_refuses(coll, doc):
    val = coll["options"].get("validator")
    if not val:
        return False
    return not matches(doc, val)


def cmd_insert(req, db):
    name = req.doc["insert"]
    docs = req.doc.get("documents", [])
    ordered = req.doc.get("ordered", True)
    errors = []
    n = 0
    with STORE.lock:
        coll = STORE.coll(db, name)
        ts = "timeseries" in coll["options"]
        for i, d in enumerate(docs):
            if "_id" not in d:
                d = OrderedDict([("_id", ObjectId())] + list(d.items()))
            key = bson.encode({"k": d["_id"]})
            if validator_refuses(coll, d):
                errors.append(OrderedDict([("index", i), ("code", 121),
                                           ("errmsg", "Document failed validation")]))
            elif not ts and key in coll["ids"]:
                errors.append(OrderedDict([("index", i), ("code", 11000), (
                    "errmsg", "E11000 duplicate key error collection: %s.%s index: _id_ dup key: { _id: %s }"
                    % (db, name, json.dumps(d["_id"]) if isinstance(d["_id"], str) else d["_id"]))]))
            else:
                coll["ids"].add(key)
                coll["docs"].append(d)
                n += 1
                continue
            if ordered:
                break
    reply = OrderedDict([("n", n)])
    if errors:
        reply["writeErrors"] = errors
    return req.replies(reply)


def project(doc, proj):
    if not proj:
        return doc
    drop = [k for k, v in proj.items() if not v]
    return OrderedDict((k, v) for k, v in doc.items() if k not in drop)


def batch_reply(req, cid, ns, docs, first):
    return req.replies(OrderedDict([("cursor", OrderedDict([
        ("id", Int64(cid)), ("ns", ns), ("firstBatch" if first else "nextBatch", docs)]))]))


def cmd_find(req, db):
    name = req.doc["find"]
    flt = req.doc.get("filter", {})
    with STORE.lock:
        coll = STORE.coll(db, name, create=False)
        docs = [d for d in (coll["docs"] if coll else []) if matches(d, flt)]
    sort = req.doc.get("sort")
    if sort:
        for k, direction in reversed(list(sort.items())):
            docs.sort(key=lambda d: sort_key(d.get(k)), reverse=direction < 0)
    docs = docs[req.doc.get("skip", 0):]
    limit = req.doc.get("limit", 0)
    if limit:
        docs = docs[:limit]
    docs = [project(d, req.doc.get("projection")) for d in docs]
    size = req.doc.get("batchSize", 101)
    ns = "%s.%s" % (db, name)
    cid = 0
    if len(docs) > size:
        with STORE.lock:
            cid = next(STORE.next_cursor)
            STORE.cursors[cid] = (ns, docs[size:])
    return batch_reply(req, cid, ns, docs[:size], True)


def cmd_getmore(req, db):
    cid = int(req.doc["getMore"])
    size = req.doc.get("batchSize", 0) or 101
    with STORE.lock:
        if cid not in STORE.cursors:
            return req.command_err(43, "cursor id %d not found" % cid, codeName="CursorNotFound")
        ns, docs = STORE.cursors.pop(cid)
        if len(docs) > size:
            STORE.cursors[cid] = (ns, docs[size:])
        else:
            cid = 0
    return batch_reply(req, cid, ns, docs[:size], False)


def cmd_killcursors(req, db):
    killed = []
    with STORE.lock:
        for c in req.doc.get("cursors", []):
            if STORE.cursors.pop(int(c), None) is not None:
                killed.append(c)
    return req.replies(cursorsKilled=killed, cursorsNotFound=[], cursorsAlive=[], cursorsUnknown=[])


def cmd_create(req, db):
    name = req.doc["create"]
    with STORE.lock:
        if STORE.coll(db, name, create=False) is not None:
            return req.command_err(48, "Collection %s.%s already exists." % (db, name),
                                   codeName="NamespaceExists")
        coll = STORE.coll(db, name)
        for k in ("timeseries", "expireAfterSeconds", "validator"):
            if k in req.doc:
                coll["options"][k] = req.doc[k]
    return req.replies()


def cmd_createindexes(req, db):
    name = req.doc["createIndexes"]
    with STORE.lock:
        coll = STORE.coll(db, name)
        before = len(coll["indexes"])
        for ix in req.doc.get("indexes", []):
            spec = OrderedDict([("v", 2)] + [(k, v) for k, v in ix.items()])
            old = [i for i in coll["indexes"] if i["name"] == ix["name"]]
            if old:
                if dict(old[0]) != dict(spec):
                    return req.command_err(85, "An existing index has the same name as the requested"
                                           " index. Requested index: %s, existing index: %s"
                                           % (dict(spec), dict(old[0])), codeName="IndexOptionsConflict")
                continue
            coll["indexes"].append(spec)
        after = len(coll["indexes"])
    return req.replies(numIndexesBefore=before, numIndexesAfter=after, createdCollectionAutomatically=False)


def cmd_drop(req, db):
    with STORE.lock:
        STORE.colls.pop((db, req.doc["drop"]), None)
    return req.replies()


def cmd_dropdatabase(req, db):
    with STORE.lock:
        for k in [k for k in STORE.colls if k[0] == db]:
            del STORE.colls[k]
    return req.replies()


def cmd_listcollections(req, db):
    flt = req.doc.get("filter", {})
    out = []
    with STORE.lock:
        for (d, name), coll in STORE.colls.items():
            if d != db:
                continue
            info = OrderedDict([("name", name),
                                ("type", "timeseries" if "timeseries" in coll["options"] else "collection"),
                                ("options", coll["options"])])
            if matches(info, flt):
                out.append(info)
    return batch_reply(req, 0, db + ".$cmd.listCollections", out, True)


def cmd_listindexes(req, db):
    name = req.doc["listIndexes"]
    with STORE.lock:
        coll = STORE.coll(db, name, create=False)
        if coll is None:
            return req.command_err(26, "ns does not exist: %s.%s" % (db, name), codeName="NamespaceNotFound")
        out = list(coll["indexes"])
    return batch_reply(req, 0, "%s.%s" % (db, name), out, True)


COMMANDS = {
    "insert": cmd_insert, "find": cmd_find, "getMore": cmd_getmore, "killCursors": cmd_killcursors,
    "create": cmd_create, "createIndexes": cmd_createindexes, "drop": cmd_drop,
    "dropDatabase": cmd_dropdatabase, "listCollections": cmd_listcollections,
    "listIndexes": cmd_listindexes,
}


def handle(req):
    try:
        name = next(iter(req.doc.keys()))
    except StopIteration:
        return req.command_err(59, "no command")
    db = req.namespace or "admin"
    if name.lower() in ("hello", "ismaster"):
        return req.replies(hello_doc())
    log(req, name)
    if name in ("ping", "endSessions", "buildInfo", "buildinfo", "getLastError"):
        if name.lower() == "buildinfo":
            return req.replies(version="5.0.0-fixture", versionArray=[5, 0, 0, 0])
        return req.replies()
    fn = COMMANDS.get(name)
    if fn is None:
        return req.command_err(59, "no such command: '%s'" % name, codeName="CommandNotFound")
    try:
        return fn(req, db)
    except Exception as e:     # a bug here should show, not hang the client
        return req.command_err(1, "fixture error in %s: %r" % (name, e))


def serve(port_file, log_file):
    global LOG
    from mockupdb import MockupDB

    LOG = open(log_file, "a", encoding="utf-8")
    state = {"server": None, "port": None}

    def start():
        s = MockupDB(port=state["port"], request_timeout=int(1e6))
        s._address = ("127.0.0.1", state["port"])
        s.autoresponds(handle)
        state["port"] = s.run()
        state["server"] = s

    def down(*_):
        if state["server"] is not None:
            state["server"].stop()
            state["server"] = None
            LOG.write('{"event": "down"}\n')
            LOG.flush()

    def up(*_):
        if state["server"] is None:
            start()
            LOG.write('{"event": "up"}\n')
            LOG.flush()

    def end(*_):
        down()
        os._exit(0)

    start()
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % state["port"])
    os.rename(port_file + ".tmp", port_file)
    signal.signal(signal.SIGUSR1, down)
    signal.signal(signal.SIGUSR2, up)
    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGINT, end)
    # A test that ends without stopping the fixture leaves it to init: it ends then too.
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    end()


# --- The client ----------------------------------------------------------

def client(uri):
    import pymongo
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=10000, document_class=OrderedDict)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) < 5:
        sys.exit(__doc__.split("\n\n")[1])
    what, uri, db, name = sys.argv[1:5]
    c = client(uri)
    coll = c[db][name]
    if what == "dump":
        for d in coll.find({}, sort=[("_id", 1)], batch_size=1000):
            print(json_util.dumps(d, json_options=json_util.CANONICAL_JSON_OPTIONS))
    elif what == "count":
        print(sum(1 for _ in coll.find({}, projection={"_id": 1}, batch_size=5000)))
    elif what == "info":
        for info in c[db].list_collections(filter={"name": name}):
            opts = info.get("options", {})
            print(json_util.dumps(OrderedDict([("type", info.get("type", "collection")),
                                               ("timeseries", opts.get("timeseries")),
                                               ("expireAfterSeconds", opts.get("expireAfterSeconds"))]),
                                  json_options=json_util.RELAXED_JSON_OPTIONS))
        for ix in coll.list_indexes():
            print(json_util.dumps(OrderedDict([("name", ix["name"]), ("key", ix["key"]),
                                               ("expireAfterSeconds", ix.get("expireAfterSeconds"))]),
                                  json_options=json_util.RELAXED_JSON_OPTIONS))
    elif what == "create":
        opts = {}
        if len(sys.argv) > 5:
            opts["validator"] = {sys.argv[5]: {"$exists": False}}
        c[db].create_collection(name, **opts)
    elif what == "drop":
        coll.drop()
    elif what == "dropdb":
        c.drop_database(db)
    else:
        sys.exit("mongo_fixture.py: unknown subcommand '%s'" % what)


if __name__ == "__main__":
    main()
