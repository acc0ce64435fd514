#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_h2_server: test/fuzz/corpus/fuzz_h2_server/seed-*.

Each input is 2 bytes of write cuts, then the client's HTTP/2 frames (the harness sends the
connection preface and an empty SETTINGS frame itself), then optionally "\\n@@upstream@@\\n" and
the bytes the upstream answers each request with. Frames and HPACK blocks are built here from
RFC 9113 / RFC 7541 (literal strings, no Huffman), valid ones and deliberately broken ones.

Inputs the fuzzer found worth keeping live in the same folder under other names and are not
touched. Run from anywhere: python3 test/fuzz/tools/make_h2_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(os.path.dirname(HERE), "corpus", "fuzz_h2_server")

# Frame types and flags (RFC 9113 §6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIO = 0x1, 0x1, 0x4, 0x8, 0x20

# SETTINGS identifiers.
HEADER_TABLE_SIZE, ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE, \
    MAX_HEADER_LIST_SIZE = range(1, 7)

written = []


def write(name, client, cuts=(0, 0), upstream=None, finding=False):
    """`finding`: the reproducer of an open finding (seed-finding-*), see test/fuzz/README.md."""
    if finding:
        name = "finding-" + name
    data = bytes(cuts) + client
    if upstream is not None:
        data += b"\n@@upstream@@\n" + upstream.encode("latin-1")
    os.makedirs(CORPUS, exist_ok=True)
    with open(os.path.join(CORPUS, "seed-" + name), "wb") as f:
        f.write(data)
    written.append(name)


# ---------------------------------------------------------------------------------------------
# Frames.

def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream & 0xffffffff) + payload


def headers(stream, block, end_stream=False, end_headers=True, pad=None, priority=None):
    flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
    payload = block
    if priority is not None:
        dep, weight, exclusive = priority
        flags |= PRIO
        payload = struct.pack(">IB", dep | (0x80000000 if exclusive else 0), weight) + payload
    if pad is not None:
        flags |= PADDED
        payload = bytes([pad]) + payload + b"\0" * pad
    return frame(HEADERS, flags, stream, payload)


def continuation(stream, block, end_headers=True):
    return frame(CONTINUATION, END_HEADERS if end_headers else 0, stream, block)


def data(stream, payload, end_stream=False, pad=None):
    flags = END_STREAM if end_stream else 0
    if pad is not None:
        flags |= PADDED
        payload = bytes([pad]) + payload + b"\0" * pad
    return frame(DATA, flags, stream, payload)


def settings(*entries, ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0,
                 b"".join(struct.pack(">HI", k, v) for k, v in entries))


def window_update(stream, increment):
    return frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", increment))


def ping(opaque=b"12345678", ack=False):
    return frame(PING, ACK if ack else 0, 0, opaque)


def rst(stream, code=8):  # CANCEL
    return frame(RST_STREAM, 0, stream, struct.pack(">I", code))


def priority(stream, dep, weight=15, exclusive=False):
    return frame(PRIORITY, 0, stream,
                 struct.pack(">IB", dep | (0x80000000 if exclusive else 0), weight))


def goaway(last_stream, code=0, debug=b""):
    return frame(GOAWAY, 0, 0, struct.pack(">II", last_stream, code) + debug)


# ---------------------------------------------------------------------------------------------
# HPACK (RFC 7541): integers, literal strings, static-table indexes.

def hint(value, prefix_bits, first):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7f) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hstr(s):
    b = s if isinstance(s, bytes) else s.encode("latin-1")
    return hint(len(b), 7, 0) + b


def indexed(i):
    return hint(i, 7, 0x80)


def literal(name, value, index=False, never=False):
    """A literal field with a new name; `index` adds it to the dynamic table."""
    first = 0x40 if index else (0x10 if never else 0x00)
    return bytes([first]) + hstr(name) + hstr(value)


def literal_name_index(i, value, index=False):
    return (hint(i, 6, 0x40) if index else hint(i, 4, 0x00)) + hstr(value)


def table_size(n):
    return hint(n, 5, 0x20)


# Static table indexes (RFC 7541 Appendix A).
METHOD_GET, METHOD_POST, PATH_ROOT, SCHEME_HTTP, SCHEME_HTTPS = 2, 3, 4, 6, 7
NAME_AUTHORITY, NAME_PATH, NAME_METHOD, NAME_CONTENT_LENGTH, NAME_COOKIE = 1, 4, 2, 28, 32


def req(method="GET", path="/echo", authority="example.com", extra=(), scheme=True):
    block = b""
    if method == "GET":
        block += indexed(METHOD_GET)
    elif method == "POST":
        block += indexed(METHOD_POST)
    elif method is not None:
        block += literal_name_index(NAME_METHOD, method)
    if scheme:
        block += indexed(SCHEME_HTTP)
    if path is not None:
        block += indexed(PATH_ROOT) if path == "/" else literal_name_index(NAME_PATH, path)
    if authority is not None:
        block += literal_name_index(NAME_AUTHORITY, authority)
    for name, value in extra:
        block += literal(name, value)
    return block


def get(stream, path="/echo", extra=()):
    return headers(stream, req("GET", path, extra=extra), end_stream=True)


def post(stream, path, body, length=True, chunks=1):
    extra = [("content-length", str(len(body)))] if length else []
    out = headers(stream, req("POST", path, extra=extra))
    step = max(1, -(-len(body) // chunks))
    pieces = [body[i:i + step] for i in range(0, len(body), step)] or [b""]
    for i, piece in enumerate(pieces):
        out += data(stream, piece, end_stream=i == len(pieces) - 1)
    return out


# ---------------------------------------------------------------------------------------------
# Requests that should go through.

write("get-echo", get(1))
write("get-root-host", headers(1, req("GET", "/", authority="api.example.com"), end_stream=True))
write("post-content-length", post(1, "/echo/p?a=1", b"hello"))
write("post-no-content-length", post(1, "/echo", b"hello world", length=False, chunks=3),
      cuts=(60, 120))
write("head", headers(1, req("HEAD", "/echo"), end_stream=True))
write("head-local-response-body", headers(1, req("HEAD", "/nowhere"), end_stream=True) +
      headers(3, req("HEAD", "/dead"), end_stream=True), finding=True)
write("nobody-204", get(1, "/echo/nobody"))
write("chunked-trailers-response", post(1, "/echo/chunked", b"abc"))
write("close-response", get(1, "/echo/close") + get(3, "/echo/after"))
write("exact-and-regex", get(1, "/exact") + get(3, "/v1/models/gpt-4") +
      headers(5, req("DELETE", "/exact"), end_stream=True))
write("auth", get(1, "/auth/x", extra=[("authorization", "Bearer alice-key")]) +
      get(3, "/auth/y") + get(5, "/auth?apikey=alice-key") + get(7, "/anon"))
write("dead-and-no-route", post(1, "/dead", b"hi") + get(3, "/nowhere") + get(5, "/pool/p"))
write("expect-continue",
      headers(1, req("PUT", "/echo", extra=[("expect", "100-continue"), ("content-length", "4")])),
      cuts=(0, 0))
write("expect-continue-body",
      headers(1, req("PUT", "/echo", extra=[("expect", "100-continue"), ("content-length", "4")])) +
      data(1, b"body", end_stream=True), cuts=(128, 0))
write("cookies", headers(1, req("GET", "/echo", extra=[("cookie", "a=1"), ("cookie", "b=2")]) +
                         literal_name_index(NAME_COOKIE, "c=3"), end_stream=True))
write("host-header-no-authority",
      headers(1, req("GET", "/echo", authority=None, extra=[("host", "api.example.com")]),
              end_stream=True))
write("host-and-authority",
      headers(1, req("GET", "/", authority="a.wild.test", extra=[("host", "other.test")]),
              end_stream=True))
write("te-trailers", get(1, extra=[("te", "trailers"), ("x-forwarded-for", "1.2.3.4")]))
write("many-streams",
      b"".join(get(1 + 2 * i, p) for i, p in enumerate(
          ["/echo/%d" % i for i in range(10)] +
          ["/strip/a", "/pool/b", "/echo/chunked", "/echo/nobody", "/dead", "/nowhere",
           "/auth", "/anon", "/exact", "/v1/models/x"])), cuts=(50, 150))
write("over-max-concurrent-streams",
      b"".join(headers(1 + 2 * i, req("POST", "/echo/%d" % i)) for i in range(110)) +
      b"".join(data(1 + 2 * i, b"x", end_stream=True) for i in range(110)))
write("interleaved-bodies",
      headers(1, req("POST", "/echo/a", extra=[("content-length", "6")])) +
      headers(3, req("POST", "/echo/chunked")) +
      data(1, b"abc") + data(3, b"123") + data(1, b"def", end_stream=True) +
      data(3, b"456", end_stream=True), cuts=(90, 170))
write("large-body", post(1, "/echo", b"z" * 60000, chunks=4), cuts=(30, 200))

# ---------------------------------------------------------------------------------------------
# Connection-level frames.

write("settings", settings((HEADER_TABLE_SIZE, 0), (ENABLE_PUSH, 0),
                           (MAX_CONCURRENT_STREAMS, 10), (MAX_FRAME_SIZE, 1 << 20),
                           (MAX_HEADER_LIST_SIZE, 1000), (0x99, 7)) +
      settings(ack=True) + get(1))
write("settings-window-zero",
      settings((INITIAL_WINDOW_SIZE, 0)) + post(1, "/echo", b"0123456789") +
      window_update(1, 4) + window_update(0, 100) + window_update(1, 100), cuts=(80, 0))
write("settings-window-small", settings((INITIAL_WINDOW_SIZE, 7)) + get(1, "/echo/chunked") +
      window_update(1, 7), cuts=(40, 160))
write("settings-change-window-midstream",
      post(1, "/echo", b"abcdef") + settings((INITIAL_WINDOW_SIZE, 1)) +
      settings((INITIAL_WINDOW_SIZE, 70000)), cuts=(100, 0))
write("ping", ping() + ping(b"abcdefgh", ack=True) + get(1) + ping(b"\0" * 8))
write("rst-stream", headers(1, req("POST", "/echo")) + data(1, b"part") + rst(1) + get(3))
write("rst-after-response", get(1) + rst(1), cuts=(128, 0))
write("rapid-reset", b"".join(get(1 + 2 * i) + rst(1 + 2 * i) for i in range(60)))
write("priority", priority(3, 0, 200) + priority(5, 3, 1, exclusive=True) +
      headers(1, req(), end_stream=True, priority=(5, 99, False)) + get(7))
write("goaway-from-client", get(1) + goaway(0) + get(3))
write("goaway-with-debug", get(1, "/echo/chunked") + goaway(1, 2, b"bye now"))
write("continuation", headers(1, req("GET", "/echo")[:5], end_stream=True, end_headers=False) +
      continuation(1, req("GET", "/echo")[5:12], end_headers=False) +
      continuation(1, req("GET", "/echo")[12:], end_headers=True))
big = req("GET", "/echo", extra=[("x-big", "v" * 3000)])
pieces = [big[i:i + 500] for i in range(100, len(big), 500)]
write("continuation-many", headers(1, big[:100], end_stream=True, end_headers=False) +
      b"".join(continuation(1, p, end_headers=i == len(pieces) - 1)
               for i, p in enumerate(pieces)))
write("continuation-flood-no-goaway", headers(1, req(), end_stream=True, end_headers=False) +
      b"".join(continuation(1, b"", end_headers=False) for _ in range(20)) +
      continuation(1, b""), finding=True)
write("padding", headers(1, req("POST", "/echo", extra=[("content-length", "3")]), pad=17) +
      data(1, b"abc", end_stream=True, pad=200) + headers(3, req(), end_stream=True, pad=0))
write("trailers", headers(1, req("POST", "/echo", extra=[("content-length", "2")])) +
      data(1, b"ok") + headers(1, literal("x-checksum", "abc"), end_stream=True))
write("trailers-no-body", headers(1, req("POST", "/echo/chunked")) +
      headers(1, literal("grpc-status", "0"), end_stream=True))
write("dynamic-table",
      headers(1, req("GET", "/echo", extra=[]) + literal("x-reused", "1", index=True),
              end_stream=True) +
      headers(3, req("GET", "/echo/2") + indexed(62), end_stream=True) +
      headers(5, table_size(0) + req("GET", "/echo/3"), end_stream=True) +
      headers(7, table_size(100) + literal("x-evicting", "e" * 80, index=True) + req(),
              end_stream=True))
write("huge-header-block",
      b"".join(
          [headers(1, req("GET", "/echo") + literal("x-h0", "a" * 16000), end_headers=False,
                   end_stream=True)] +
          [continuation(1, literal("x-h%d" % i, "b" * 16000), end_headers=i == 4)
           for i in range(1, 5)]))
write("too-many-headers", headers(1, req("GET", "/echo") +
                                  b"".join(literal("x-n%d" % i, "v") for i in range(120)),
                                  end_stream=True) + get(3))
write("unknown-frame-type", frame(0x42, 0xff, 1, b"whatever") + get(1) + frame(0xfa, 0, 0))

# ---------------------------------------------------------------------------------------------
# Malformed requests (stream errors) and protocol errors (connection errors).

write("uppercase-name", get(1, extra=[("X-Upper", "1")]) + get(3))
write("connection-header", get(1, extra=[("connection", "close")]) + get(3))
write("transfer-encoding", headers(1, req("POST", "/echo", extra=[("transfer-encoding",
                                                                   "chunked")])) +
      data(1, b"5\r\nhello\r\n0\r\n\r\n", end_stream=True) + get(3))
write("te-gzip", get(1, extra=[("te", "gzip")]))
write("crlf-in-value", get(1, extra=[("x-evil", "a\r\nContent-Length: 5")]) + get(3))
write("nul-in-value", get(1, extra=[("x-evil", "a\0b")]))
write("space-in-name", get(1, extra=[("x evil", "1")]))
write("underscore-name", get(1, extra=[("x_forwarded_for", "1.2.3.4")]))
write("missing-method", headers(1, req(None, "/echo"), end_stream=True) + get(3))
write("missing-path", headers(1, req("GET", None), end_stream=True))
write("path-no-slash", headers(1, req("GET", "echo"), end_stream=True))
write("path-asterisk-options", headers(1, req("OPTIONS", "*"), end_stream=True))
write("connect", headers(1, literal_name_index(NAME_METHOD, "CONNECT") +
                         literal_name_index(NAME_AUTHORITY, "example.com:443")) +
      data(1, b"tunnel?", end_stream=True))
write("extension-method", headers(1, req("PET", "/echo"), end_stream=True) +
      headers(3, req("get", "/echo"), end_stream=True), finding=True)
write("pseudo-after-regular", headers(1, literal("x-a", "1") + req(), end_stream=True))
write("unknown-pseudo", headers(1, req() + literal(":protocol", "websocket"), end_stream=True))
write("duplicate-content-length",
      headers(1, req("POST", "/echo", extra=[("content-length", "3"), ("content-length", "5")])) +
      data(1, b"abc", end_stream=True))
write("content-length-not-number",
      headers(1, req("POST", "/echo", extra=[("content-length", "+3")])) +
      data(1, b"abc", end_stream=True))
write("content-length-short-body",
      headers(1, req("POST", "/echo", extra=[("content-length", "10")])) +
      data(1, b"abc", end_stream=True) + get(3))
write("content-length-long-body",
      headers(1, req("POST", "/echo", extra=[("content-length", "3")])) +
      data(1, b"abc") + data(1, b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", end_stream=True) +
      get(3))
write("content-length-zero-with-data",
      headers(1, req("POST", "/echo", extra=[("content-length", "0")])) +
      data(1, b"GET / HTTP/1.1\r\n\r\n", end_stream=True))
write("data-after-end-stream", get(1) + data(1, b"late", end_stream=True) + get(3))
write("headers-after-end-stream", get(1) + get(1))
write("even-stream-id", get(2))
write("decreasing-stream-id", get(5) + get(3))
write("data-on-idle-stream", data(9, b"x", end_stream=True))
write("rst-idle-stream", rst(7))
write("window-update-zero", get(1) + window_update(1, 0) + window_update(0, 0))
write("window-update-overflow", window_update(0, 0x7fffffff) + window_update(0, 0x7fffffff) +
      get(1))
write("settings-bad-values", settings((ENABLE_PUSH, 2)))
write("settings-window-too-large", get(1) + settings((INITIAL_WINDOW_SIZE, 0x80000000)))
write("settings-bad-length", frame(SETTINGS, 0, 0, b"\0\1\0\0"))
write("push-promise-from-client", get(1) + frame(PUSH_PROMISE, END_HEADERS, 1,
                                                 struct.pack(">I", 2) + req()))
write("frame-too-large", frame(DATA, 0, 1, b"x" * 20000))
write("headers-without-end-headers-then-data",
      headers(1, req(), end_headers=False) + data(1, b"x"))
write("continuation-wrong-stream", headers(1, req(), end_headers=False) + continuation(3, b""))
write("priority-self-dependency", headers(1, req(), end_stream=True, priority=(1, 5, False)) +
      priority(3, 3) + get(5))
write("padding-too-long", frame(HEADERS, END_HEADERS | PADDED, 1, bytes([200]) + req()))
write("bad-hpack", headers(1, b"\xff\xff\xff\xff\xff\x7f", end_stream=True))
write("hpack-table-size-too-big", headers(1, table_size(100000) + req(), end_stream=True))
write("garbage", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")

# ---------------------------------------------------------------------------------------------
# Upstream responses the proxy must translate into valid HTTP/2.

write("upstream-hop-by-hop", get(1),
      upstream="HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\n"
               "X-Hop: 1\r\nProxy-Connection: x\r\nTE: gzip\r\nUpgrade: foo\r\n"
               "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
write("upstream-mixed-case", get(1),
      upstream="HTTP/1.1 201 Created\r\nX-Mixed-Case: v\r\nSET-COOKIE: a=1\r\n"
               "Set-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok")
write("upstream-204-content-length", get(1),
      upstream="HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
write("upstream-204-content-length-5", get(1), finding=True,
      upstream="HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")
write("upstream-304", get(1), upstream="HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n")
write("upstream-101", get(1), finding=True,
      upstream="HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
write("upstream-100-then-200", post(1, "/echo", b"hi"),
      upstream="HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
write("upstream-interim-with-body", get(1), finding=True,
      upstream="HTTP/1.1 100 Continue\r\nContent-Length: 3\r\n\r\nabc"
               "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
write("upstream-trailers", post(1, "/echo", b"hi"),
      upstream="HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: grpc-status\r\n\r\n"
               "2\r\nhi\r\n0\r\ngrpc-status: 0\r\nX-Upper-Trailer: 1\r\n\r\n")
write("upstream-close-delimited", get(1, "/echo/x") + get(3),
      upstream="HTTP/1.1 200 OK\r\n\r\nbody until close")
write("upstream-empty-value", get(1),
      upstream="HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Spaces:   padded\r\nContent-Length: 0\r\n\r\n")
write("upstream-trailing-space", get(1), finding=True,
      upstream="HTTP/1.1 200 OK\r\nX-Pad: v \r\nContent-Length: 0\r\n\r\n")
# A control character as a value's first byte got past http-parser (fixed: IsFieldValue).
write("upstream-control-character", get(1),
      upstream="HTTP/1.1 200 OK\r\nX-Ctl:\x1fb\r\nContent-Length: 0\r\n\r\n")
write("upstream-head", headers(1, req("HEAD", "/echo"), end_stream=True),
      upstream="HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
write("upstream-garbage", get(1), upstream="SSH-2.0-OpenSSH\r\n")
# A HEADERS frame cut short: nghttp2 decodes the block as it arrives and resets the stream on
# the empty field name before the frame is complete.
write("partial-headers-frame-reset",
      frame(HEADERS, END_STREAM | END_HEADERS, 1, req("POST", "/echo") + b"\0\0" + b"x" * 40)[:60])

print("wrote %d seeds to %s" % (len(written), CORPUS))
