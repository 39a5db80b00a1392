#!/usr/bin/env python3
"""fault_proxy.py - an HTTP/1.1-aware TCP proxy that injects network faults.

It listens on 127.0.0.1, forwards each client connection to one upstream
connection (nginx, plain HTTP), parses requests and responses (Content-Length,
chunked, or close-delimited bodies) and can break the responses on the way
back, to show what `larch pull` does on a bad link. Python 3 standard library
only. Used by tests/integration/lib-http.sh (start_proxy).

    fault_proxy.py --upstream 127.0.0.1:PORT --port-file F --count-file F
                   [--fault RULE]... [--rate BYTES_PER_S] [--log F]

Counting: --count-file holds one integer, every byte forwarded to clients
(status lines, headers and bodies) since the proxy started. It is rewritten
(atomically) at most every 20 ms while traffic flows, at the end of every
connection and on exit (SIGTERM/SIGINT). --stats-file holds the same and
more as JSON. With --rate, writes to clients are paced by one token bucket
shared by every connection (one metered link), in pieces of at most 16 kB,
and at most 16 kB waits in the proxy's own buffer: the count is close to
what the client really received even when the client is killed.

A RULE is MODE[:KEY=VALUE[,KEY=VALUE...]]. Rules are tried in order on every
response with a body (GET, status 200 or 206); the first rule whose path
pattern matches and for which the response is eligible takes it.

  cut       close the connection after `after` body bytes of the response
            (eligible: a body longer than `after`); with every=N instead,
            close it each time the body bytes of matching responses, counted
            across the whole run, reach a multiple of N ("cut every 1 MB").
  stall     send `after` body bytes, then nothing more, ever; the
            connection stays open until the client gives up.
  corrupt   flip (XOR 0xff) the body byte at `offset` (negative: from the
            end; eligible: a body longer than that).
  truncate  behave as if the server's file were short: it has `keep` bytes
            (default half; negative: that many fewer). The response is
            well-formed: Content-Length (and Content-Range for a 206) match
            the short body; a range beyond the short end gets a 416.
  endless   drop the real body and stream bytes forever, with neither
            Content-Length nor chunked encoding (Connection: close), after
            the upstream's status line and other headers.

Keys: path=REGEX (re.search on the request path, no commas; default any),
after=N, every=N (cut), offset=K (corrupt), keep=N (truncate), rst=1 (cut
with a TCP reset instead of a close), nth=N (the rule starts with the Nth
eligible response, default 1), times=K (how many responses it affects, 0 =
no limit; default 1; unlimited for truncate, endless and cut every=).

Examples:
  --fault cut:every=1048576                     cut every 1 MB of bodies
  --fault cut:after=5000,path=\\.file$           once, 5000 bytes into an object
  --fault corrupt:path=\\.file$,nth=3,offset=100 third object, byte 100
  --fault stall:after=1000,times=0               stall every response

--log F gets one line per response: connection, method, path, status, Range
header, body length, bytes sent and the action taken (pass, cut@N, stall@N,
corrupt@K, truncate->N, endless).
"""

import argparse
import asyncio
import ctypes
import json
import os
import re
import signal
import socket
import sys
import time

CHUNK = 16384


class Rule:
    MODES = ("cut", "stall", "corrupt", "truncate", "endless")
    KEYS = {"path", "after", "every", "offset", "keep", "rst", "nth", "times"}

    def __init__(self, text):
        self.text = text
        mode, _, rest = text.partition(":")
        if mode not in self.MODES:
            raise ValueError(f"unknown fault mode {mode!r} in {text!r} (one of {', '.join(self.MODES)})")
        self.mode = mode
        opts = {}
        for item in filter(None, rest.split(",")):
            key, eq, value = item.partition("=")
            if not eq or key not in self.KEYS:
                raise ValueError(f"bad option {item!r} in {text!r} (keys: {', '.join(sorted(self.KEYS))})")
            opts[key] = value
        self.path = re.compile(opts.get("path", ""))
        self.after = int(opts.get("after", "0"))
        self.every = int(opts.get("every", "0"))
        self.offset = int(opts.get("offset", "0"))
        self.keep = int(opts["keep"]) if "keep" in opts else None
        self.rst = opts.get("rst", "0") == "1"
        self.nth = int(opts.get("nth", "1"))
        # A short file or an endless server stays so; a cut, a stall or a
        # flipped byte happens once unless asked otherwise.
        unlimited = self.every or mode in ("truncate", "endless")
        self.times = int(opts.get("times", "0" if unlimited else "1"))
        if mode != "cut" and self.every:
            raise ValueError(f"every= is for cut only: {text!r}")
        if self.every < 0 or self.after < 0 or self.nth < 1 or self.times < 0:
            raise ValueError(f"negative or zero value in {text!r}")
        self.seen = 0      # eligible responses so far
        self.applied = 0   # responses affected
        self.body_total = 0  # every=: body bytes of matching responses so far
        self.next_cut = self.every

    def eligible(self, path, length):
        """Does this rule want a response of `length` body bytes (None: unknown)?"""
        if not self.path.search(path):
            return False
        if self.mode == "cut" and not self.every:
            return length is None or length > self.after
        if self.mode == "corrupt":
            return length is not None and length > (self.offset if self.offset >= 0 else -self.offset - 1)
        if self.mode == "truncate":
            return length is not None and length > 0
        return True

    def claim(self, path, length):
        """Count an eligible response; True if this rule acts on it."""
        if not self.eligible(path, length):
            return False
        self.seen += 1
        if self.seen < self.nth:
            return False
        if self.times and self.applied >= self.times:
            return False
        self.applied += 1
        return True


class Cut(Exception):
    """The proxy cut the client connection on purpose."""


class Proxy:
    def __init__(self, args):
        self.args = args
        self.upstream_host, _, port = args.upstream.rpartition(":")
        self.upstream_port = int(port)
        self.rules = [Rule(r) for r in args.fault]
        self.bytes = 0        # everything written to clients
        self.body_bytes = 0   # response bodies only
        self.connections = 0
        self.responses = 0
        self.actions = {}
        self.dirty = True
        self.rate = args.rate
        # Paced writes go in pieces of 1/50 s worth (1 kB to CHUNK).
        self.piece = int(max(1024, min(CHUNK, self.rate // 50))) if self.rate else CHUNK
        self.tokens = 0.0
        self.last_refill = time.monotonic()
        self.bucket_lock = asyncio.Lock()
        self.log_file = open(args.log, "a", buffering=1) if args.log else None
        self.filler = bytes((i * 131 + 7) & 0xFF for i in range(CHUNK))

    # ------------------------------------------------------------ accounting
    def write_counts(self):
        self.dirty = False
        if self.args.count_file:
            atomic_write(self.args.count_file, f"{self.bytes}\n")
        if self.args.stats_file:
            stats = {"bytes": self.bytes, "body_bytes": self.body_bytes, "connections": self.connections,
                     "responses": self.responses, "actions": self.actions,
                     "rules": [{"rule": r.text, "applied": r.applied} for r in self.rules]}
            atomic_write(self.args.stats_file, json.dumps(stats, sort_keys=True) + "\n")

    async def flusher(self, stop):
        parent = os.getppid()
        ticks = 0
        while True:
            await asyncio.sleep(0.02)
            if self.dirty:
                self.write_counts()
            ticks += 1
            # Backs up PR_SET_PDEATHSIG: once the shell that started us is
            # gone (we were re-parented), stop.
            if ticks % 25 == 0 and os.getppid() != parent:
                stop.set()

    def log(self, text):
        if self.log_file:
            self.log_file.write(f"{time.time():.3f} {text}\n")

    def count_action(self, name):
        self.actions[name] = self.actions.get(name, 0) + 1

    # ------------------------------------------------------------ sending
    async def take_tokens(self, n):
        async with self.bucket_lock:
            while True:
                now = time.monotonic()
                # A burst of at most 50 ms worth of bytes (or one piece,
                # if that is more). Not CHUNK: at 16 kB/s that was a whole
                # second's worth at the start of every connection.
                self.tokens = min(self.tokens + (now - self.last_refill) * self.rate, max(self.rate / 20, self.piece))
                self.last_refill = now
                if self.tokens >= n:
                    self.tokens -= n
                    return
                await asyncio.sleep((n - self.tokens) / self.rate)

    async def send(self, writer, data, body=False, acc=None):
        """Write data to a client; acc[0] (if given) counts what was written."""
        view = memoryview(data)
        piece = self.piece
        for start in range(0, len(view), piece):
            part = view[start:start + piece]
            if self.rate:
                await self.take_tokens(len(part))
            if writer.is_closing():
                raise ConnectionResetError("client went away")
            writer.write(part)
            self.bytes += len(part)
            if body:
                self.body_bytes += len(part)
            if acc is not None:
                acc[0] += len(part)
            self.dirty = True
            await writer.drain()

    # ------------------------------------------------------------ connections
    async def connect_upstream(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.args.upstream_rcvbuf:
            # Before connect, so the window is small from the start: data the
            # server sent that the proxy did not forward stays small.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.args.upstream_rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (self.upstream_host, self.upstream_port))
        # asyncio stops reading the upstream socket once twice the reader's
        # limit waits in the proxy: a small limit keeps the proxy from
        # reading far ahead of what it forwards.
        return await asyncio.open_connection(sock=sock, limit=self.args.upstream_buffer)

    async def handle(self, creader, cwriter):
        self.connections += 1
        conn = self.connections
        sock = cwriter.get_extra_info("socket")
        if sock is not None and self.args.sndbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.args.sndbuf)
        cwriter.transport.set_write_buffer_limits(high=min(CHUNK, self.args.upstream_buffer))
        upstream = None
        try:
            while True:
                head = await read_head(creader)
                if head is None:
                    break
                method, target, req_headers = parse_request(head)
                length = int(req_headers.get("content-length", "0") or "0")
                req_body = await creader.readexactly(length) if length else b""
                if upstream is None or upstream[0].at_eof():
                    if upstream is not None:
                        upstream[1].close()
                    upstream = await self.connect_upstream()
                ureader, uwriter = upstream
                uwriter.write(head + req_body)
                await uwriter.drain()
                rhead = await read_head(ureader)
                if rhead is None:
                    self.log(f"conn={conn} {method} {target} upstream closed before answering")
                    break
                if not await self.forward(conn, method, target, req_headers, rhead, ureader, cwriter, creader):
                    break
        except Cut:
            pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError) as e:
            self.log(f"conn={conn} closed: {type(e).__name__}: {e}")
        finally:
            if upstream is not None:
                upstream[1].close()
            if not cwriter.is_closing():
                cwriter.close()
            self.write_counts()

    async def forward(self, conn, method, target, req_headers, rhead, ureader, cwriter, creader):
        """Forward one response; False when the connection must end after it."""
        status, headers = parse_response(rhead)
        path = target.split("?", 1)[0]
        close_after = headers.get("connection", "").lower() == "close"
        has_body = method != "HEAD" and status >= 200 and status not in (204, 304)
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = int(headers["content-length"]) if "content-length" in headers and not chunked else None
        if not has_body:
            length = 0
        self.responses += 1
        where = f"conn={conn} {method} {path} status={status} range={req_headers.get('range', '-')} length={length}"

        rule = None
        if has_body and method == "GET" and status in (200, 206):
            for r in self.rules:
                if r.claim(path, length):
                    rule = r
                    break

        if rule is not None and rule.mode == "truncate":
            body = await ureader.readexactly(length)
            new_head, body, note = truncate(rhead, status, headers, body, rule.keep)
            await self.send(cwriter, new_head)
            await self.send(cwriter, body, body=True)
            self.count_action("truncate")
            self.log(f"{where} sent={len(body)} action={note}")
            return not close_after

        if rule is not None and rule.mode == "endless":
            ehead = rebuild_head(rhead, drop={"content-length", "content-range", "transfer-encoding", "connection"},
                                 add=[("Connection", "close")], status_line=b"HTTP/1.1 200 OK")
            self.count_action("endless")
            self.log(f"{where} action=endless")
            await self.send(cwriter, ehead)
            while True:
                await self.send(cwriter, self.filler, body=True)

        await self.send(cwriter, rhead)
        if not has_body:
            self.log(f"{where} sent=0 action=pass")
            return not close_after

        async def body_chunks():
            if chunked:
                # Forwarded as they come, framing included (faults count raw bytes).
                while True:
                    line = await ureader.readuntil(b"\r\n")
                    size = int(line.split(b";")[0], 16)
                    data = line + (await ureader.readexactly(size + 2) if size else b"")
                    if size == 0:
                        data += await read_trailers(ureader)
                        yield data
                        return
                    yield data
            elif length is None:
                while True:
                    data = await ureader.read(CHUNK)
                    if not data:
                        return
                    yield data
            else:
                left = length
                while left:
                    data = await ureader.read(min(CHUNK, left))
                    if not data:
                        raise asyncio.IncompleteReadError(b"", left)
                    left -= len(data)
                    yield data

        acc = [0]  # body bytes written to the client for this response
        try:
            await self.forward_body(body_chunks(), rule, length, cwriter, creader, where, acc)
        except (ConnectionError, OSError):
            # The client went away (killed, or gave up): say how far it got.
            self.log(f"{where} sent={acc[0]} action=client-gone")
            raise
        return not close_after and length is not None

    async def forward_body(self, chunks, rule, length, cwriter, creader, where, acc):
        action = "pass"
        async for data in chunks:
            sent = acc[0]
            if rule is not None and rule.mode == "corrupt":
                off = rule.offset if rule.offset >= 0 else length + rule.offset
                if sent <= off < sent + len(data):
                    data = bytearray(data)
                    data[off - sent] ^= 0xFF
                    action = f"corrupt@{off}"
                    self.count_action("corrupt")
            stop_at = None
            if rule is not None and rule.mode == "cut":
                if rule.every:
                    # Only inside a body: a boundary at its very end cuts
                    # the next response, right after its headers.
                    if rule.body_total + len(data) > rule.next_cut:
                        stop_at = rule.next_cut - rule.body_total
                elif sent + len(data) > rule.after:
                    stop_at = rule.after - sent
            if rule is not None and rule.mode == "stall" and sent + len(data) > rule.after:
                stop_at = rule.after - sent
            if stop_at is not None:
                await self.send(cwriter, data[:stop_at], body=True, acc=acc)
                if rule.every:
                    rule.body_total += stop_at
                    rule.next_cut += rule.every
                if rule.mode == "stall":
                    self.count_action("stall")
                    self.log(f"{where} sent={acc[0]} action=stall@{acc[0]}")
                    self.write_counts()
                    # Nothing more, ever: wait for the client to hang up.
                    try:
                        while await creader.read(CHUNK):
                            pass
                    except (ConnectionError, OSError):
                        pass
                    raise Cut()
                self.count_action("cut")
                self.log(f"{where} sent={acc[0]} action=cut@{acc[0]}")
                if rule.rst:
                    # abort() drops what still waits in the transport's own
                    # buffer (up to its 64 kB high-water mark when the device
                    # reads slowly, as a sanitizer build does): counted when
                    # written, never sent, so taken off the count again. The
                    # socket's send queue (--sndbuf) still goes out until
                    # the socket closes, a moment later.
                    sock = cwriter.get_extra_info("socket")
                    lost = min(cwriter.transport.get_write_buffer_size(), acc[0])
                    if sock is not None:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.bytes -= lost
                    self.body_bytes -= lost
                    acc[0] -= lost
                    self.log(f"{where} discarded={lost} (never delivered)")
                    self.write_counts()
                    cwriter.transport.abort()
                else:
                    cwriter.close()
                raise Cut()
            await self.send(cwriter, data, body=True, acc=acc)
            if rule is not None and rule.every:
                rule.body_total += len(data)
        self.log(f"{where} sent={acc[0]} action={action}")



def atomic_write(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


async def read_head(reader):
    """The bytes up to and including the blank line, or None at a clean EOF."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if e.partial.strip():
            raise
        return None


async def read_trailers(reader):
    data = b""
    while True:
        line = await reader.readuntil(b"\r\n")
        data += line
        if line == b"\r\n":
            return data


def parse_headers(lines):
    headers = {}
    for line in lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return headers


def parse_request(head):
    lines = head.split(b"\r\n")
    method, target, _version = lines[0].decode("latin-1").split(" ", 2)
    return method, target, parse_headers(l for l in lines[1:] if l)


def parse_response(head):
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    return status, parse_headers(l for l in lines[1:] if l)


def rebuild_head(head, drop=(), set_=(), add=(), status_line=None):
    lines = head.split(b"\r\n")
    out = [status_line or lines[0]]
    replace = {k.lower(): v for k, v in set_}
    for line in lines[1:]:
        if not line:
            continue
        name = line.partition(b":")[0].strip().decode("latin-1").lower()
        if name in drop:
            continue
        if name in replace:
            line = f"{line.partition(b':')[0].decode('latin-1')}: {replace.pop(name)}".encode("latin-1")
        out.append(line)
    for k, v in list(replace.items()) + list(add):
        out.append(f"{k}: {v}".encode("latin-1"))
    return b"\r\n".join(out) + b"\r\n\r\n"


def truncate(head, status, headers, body, keep):
    """The response a server with a short file would send."""
    first = 0
    total = len(body)
    if status == 206:
        m = re.match(r"bytes (\d+)-(\d+)/(\d+)", headers.get("content-range", ""))
        if m:
            first, total = int(m.group(1)), int(m.group(3))
    short = total // 2 if keep is None else (keep if keep >= 0 else max(0, total + keep))
    short = min(short, total)
    if status == 206 and first >= short:
        new_head = rebuild_head(head, drop={"content-range", "content-length"},
                                add=[("Content-Range", f"bytes */{short}"), ("Content-Length", "0")],
                                status_line=b"HTTP/1.1 416 Requested Range Not Satisfiable")
        return new_head, b"", f"truncate->{short}(416)"
    body = body[:short - first]
    set_ = [("Content-Length", str(len(body)))]
    if status == 206:
        set_.append(("Content-Range", f"bytes {first}-{first + len(body) - 1}/{short}"))
    return rebuild_head(head, set_=set_), body, f"truncate->{short}"


def die_with_parent():
    """Exit when the shell that started us dies (Linux), so no proxy outlives a killed test."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


async def main(args):
    proxy = Proxy(args)
    server = await asyncio.start_server(proxy.handle, args.listen, args.port, limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    proxy.write_counts()
    if args.port_file:
        atomic_write(args.port_file, f"{port}\n")
    print(f"fault_proxy: listening on {args.listen}:{port}, upstream {args.upstream}, "
          f"rules {[r.text for r in proxy.rules] or 'none'}, rate {args.rate or 'unlimited'}", file=sys.stderr)
    flusher = asyncio.create_task(proxy.flusher(stop))
    await stop.wait()
    flusher.cancel()
    server.close()
    proxy.write_counts()
    # Connections may be stalled on purpose; do not wait for them.
    os._exit(0)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--upstream", required=True, help="HOST:PORT of the HTTP server")
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: any free port (see --port-file)")
    p.add_argument("--port-file", help="written with the port once listening")
    p.add_argument("--count-file", help="bytes forwarded to clients, one integer")
    p.add_argument("--stats-file", help="counters as JSON")
    p.add_argument("--log", help="one line per response")
    p.add_argument("--fault", action="append", default=[], metavar="RULE")
    p.add_argument("--rate", type=int, default=0, help="bytes per second to clients, all connections together")
    p.add_argument("--sndbuf", type=int, default=0, help="SO_SNDBUF of client sockets")
    p.add_argument("--upstream-rcvbuf", type=int, default=0, help="SO_RCVBUF of upstream sockets")
    p.add_argument("--upstream-buffer", type=int, default=16384,
                   help="bytes read ahead from upstream per connection, at most twice this (default 16384)")
    args = p.parse_args(argv)
    try:
        for r in args.fault:
            Rule(r)
    except ValueError as e:
        p.error(str(e))
    return args


if __name__ == "__main__":
    arguments = parse_args(sys.argv[1:])
    die_with_parent()
    asyncio.run(main(arguments))
