#!/usr/bin/env python3
"""warc_check.py — read WARC files with an independent reader (Python's
standard library only, no package to fetch at test time) and check that
every record parses and every digest matches.

It checks what tests/lib/warc_check.mjs checked with warcio.js, and more:
  - a .gz file is a series of gzip members, one record each (WARC 1.1
    annex D); a plain file is records back to back;
  - each record: a WARC/1.0 or WARC/1.1 line, header fields, the mandatory
    WARC-Type, WARC-Record-ID, WARC-Date and Content-Length, a block of
    exactly Content-Length bytes, then CRLF CRLF;
  - the first record is a warcinfo; record IDs are unique;
  - WARC-Block-Digest is sha1:BASE32 of the block as stored;
  - request and response records hold a parseable HTTP head; their
    WARC-Payload-Digest is sha1:BASE32 of the payload (the block after the
    head, as warcio reads it; a stored chunked body must de-chunk);
  - a request is followed by the response it is WARC-Concurrent-To;
  - the bodies decode (de-chunking, Content-Encoding gzip / deflate) to what
    was fetched: the samples of tests/unit/output/test_warc and the live
    fetches of tests/unit/output/test_sink_live.

usage: warc_check.py [--expect-responses N] FILE...
Exits 0 when all is well, 1 with a message on stderr otherwise.  Prints one
summary line per file on stdout.
"""
import base64
import hashlib
import re
import sys
import zlib


class Bad(Exception):
    pass


def sha1(data):
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def split_members(data, name):
    """The gzip members of data, each decompressed."""
    out = []
    while data:
        if data[:2] != b"\x1f\x8b":
            raise Bad(f"{name}: bytes after gzip member {len(out)} are not gzip")
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = d.decompress(data)
        except zlib.error as e:
            raise Bad(f"{name}: gzip member {len(out)}: {e}")
        if not d.eof:
            raise Bad(f"{name}: gzip member {len(out)} is cut short")
        out.append(raw)
        data = d.unused_data
    return out


def parse_records(data, name, first_index):
    """(records, rest): every record of data, as dicts."""
    recs = []
    pos = 0
    while pos < len(data):
        i = first_index + len(recs)
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            raise Bad(f"{name} #{i}: header block not ended by CRLF CRLF")
        lines = data[pos:end].split(b"\r\n")
        if lines[0] not in (b"WARC/1.0", b"WARC/1.1"):
            raise Bad(f"{name} #{i}: version line {lines[0][:40]!r}")
        h = {}
        for ln in lines[1:]:
            if b":" not in ln:
                raise Bad(f"{name} #{i}: header line without a colon: {ln[:60]!r}")
            k, v = ln.split(b":", 1)
            h[k.decode("latin1").strip().lower()] = v.decode("latin1").strip()
        for k in ("warc-type", "warc-record-id", "warc-date", "content-length"):
            if k not in h:
                raise Bad(f"{name} #{i}: no {k} header")
        if not re.fullmatch(r"\d+", h["content-length"]):
            raise Bad(f"{name} #{i}: Content-Length {h['content-length']!r}")
        cl = int(h["content-length"])
        start = end + 4
        block = data[start:start + cl]
        if len(block) != cl:
            raise Bad(f"{name} #{i}: read {len(block)} bytes, Content-Length {cl}")
        if data[start + cl:start + cl + 4] != b"\r\n\r\n":
            raise Bad(f"{name} #{i}: block not followed by CRLF CRLF")
        recs.append({"h": h, "block": block, "type": h["warc-type"],
                     "id": h["warc-record-id"], "uri": h.get("warc-target-uri")})
        pos = start + cl + 4
    return recs


def dechunk(body, what):
    out = bytearray()
    pos = 0
    while True:
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            raise Bad(f"{what}: chunk size line not ended")
        size_s = body[pos:eol].split(b";")[0].strip()
        if not re.fullmatch(rb"[0-9A-Fa-f]+", size_s):
            raise Bad(f"{what}: bad chunk size {size_s[:20]!r}")
        size = int(size_s, 16)
        pos = eol + 2
        if size == 0:
            return bytes(out)  # trailers, if any, are not content
        if pos + size + 2 > len(body) or body[pos + size:pos + size + 2] != b"\r\n":
            raise Bad(f"{what}: chunk of {size} bytes cut short")
        out += body[pos:pos + size]
        pos += size + 2


def parse_http(rec, name, i):
    """Split the block of a request/response into its head and payload."""
    block = rec["block"]
    end = block.find(b"\r\n\r\n")
    if end < 0:
        raise Bad(f"{name}: {rec['type']} {rec['uri']}: no HTTP head parsed")
    lines = block[:end].decode("latin1").split("\r\n")
    if rec["type"] == "response":
        m = re.fullmatch(r"HTTP/1\.[01] (\d{3})(?: .*)?", lines[0])
    else:
        m = re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP/1\.[01]", lines[0])
    if not m:
        raise Bad(f"{name}: {rec['type']} {rec['uri']}: no HTTP head parsed ({lines[0][:60]!r})")
    rec["status"] = int(m.group(1)) if rec["type"] == "response" else None
    hh = {}
    for ln in lines[1:]:
        if ":" not in ln:
            raise Bad(f"{name} #{i}: HTTP header line without a colon: {ln[:60]!r}")
        k, v = ln.split(":", 1)
        hh.setdefault(k.strip().lower(), []).append(v.strip())
    rec["http"] = hh
    rec["payload"] = block[end + 4:]


def decode_content(rec, what):
    """The body as warcio decodes it: de-chunked, then Content-Encoding."""
    body = rec["payload"]
    te = ",".join(rec["http"].get("transfer-encoding", [])).lower()
    if "chunked" in te:
        body = dechunk(body, what)
    for enc in reversed([e.strip().lower() for e in ",".join(rec["http"].get("content-encoding", [])).split(",") if e.strip()]):
        if enc in ("gzip", "x-gzip"):
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            try:
                body = zlib.decompress(body)
            except zlib.error:
                body = zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as browsers accept
        elif enc == "identity":
            pass
        else:
            return None  # br, zstd: no standard-library decoder; not checked
    return body


WANT = {
    "http://127.0.0.1:8080/page": b"<p>hello warcio</p>\n",
    "http://127.0.0.1:8080/gz": b"hello gzip world",
    "http://127.0.0.1:8080/post": b"ok",
}
TEXT = (b"The quick brown fox jumps over the lazy dog.\n"
        b"Pack my box with five dozen liquor jugs.\n")
LIVE = re.compile(r"^http://127\.0\.0\.1:(\d+)/(chunked|gzip|deflate)$")


def check_file(name):
    with open(name, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        recs = []
        for k, member in enumerate(split_members(data, name)):
            got = parse_records(member, f"{name} member {k}", len(recs))
            if len(got) != 1:
                raise Bad(f"{name}: gzip member {k} holds {len(got)} records, not one")
            recs += got
    else:
        recs = parse_records(data, name, 0)
    if not recs:
        raise Bad(f"{name}: no records")
    if recs[0]["type"] != "warcinfo":
        raise Bad(f"{name}: first record is {recs[0]['type']}, not warcinfo")
    ids = set()
    responses = 0
    decoded = {}
    for i, r in enumerate(recs):
        if r["id"] in ids:
            raise Bad(f"{name} #{i}: duplicate record ID {r['id']}")
        ids.add(r["id"])
        bd = r["h"].get("warc-block-digest")
        if r["type"] == "warcinfo":
            if bd is not None and bd != sha1(r["block"]):
                raise Bad(f"{name} #{i} warcinfo: block digest {bd} != {sha1(r['block'])}")
            continue
        if bd != sha1(r["block"]):
            raise Bad(f"{name} #{i} {r['type']}: block digest {bd} != {sha1(r['block'])}")
        if r["type"] in ("request", "response"):
            parse_http(r, name, i)
            pd = r["h"].get("warc-payload-digest")
            if pd != sha1(r["payload"]):
                raise Bad(f"{name} #{i} {r['type']}: payload digest {pd} != {sha1(r['payload'])}")
        if r["type"] == "request":
            conc = r["h"].get("warc-concurrent-to")
            if i + 1 >= len(recs) or conc != recs[i + 1]["id"]:
                raise Bad(f"{name} #{i}: request not concurrent to the next response")
        if r["type"] == "response":
            responses += 1
            try:
                decoded[r["uri"]] = decode_content(r, f"{name} #{i} {r['uri']}")
            except zlib.error as e:
                raise Bad(f"{name} #{i} {r['uri']}: content does not decode: {e}")
    for uri, text in WANT.items():
        if uri in decoded and decoded[uri] != text:
            raise Bad(f"{name}: {uri} decodes to {decoded[uri]!r}")
    for uri, body in decoded.items():
        m = LIVE.match(uri or "")
        if m and m.group(1) != "8080" and body != TEXT:
            raise Bad(f"{name}: {uri} decodes to {body!r}")
    chunked = "http://127.0.0.1:8080/chunked"
    if chunked in decoded:
        b = decoded[chunked]
        if b is None or len(b) != 300:
            raise Bad(f"{name}: chunked-origin body is {len(b) if b else 0} bytes, not 300")
        for k in range(300):
            e = b"\r\n0\r\n\r\n"[k - 20] if 20 <= k < 27 else (k * 13 + 1) & 255
            if b[k] != e:
                raise Bad(f"{name}: chunked-origin body differs at {k}")
    for r in recs:
        if r["type"] == "response" and r["uri"] == "http://127.0.0.1:8080/post" and r["status"] != 201:
            raise Bad(f"{name}: /post status {r['status']}")
    print(f"{name}: {len(recs)} records ok")
    return responses


def main(argv):
    expect = -1
    if argv[:1] == ["--expect-responses"]:
        expect = int(argv[1])
        argv = argv[2:]
    if not argv:
        print("usage: warc_check.py [--expect-responses N] FILE...", file=sys.stderr)
        return 2
    responses = 0
    try:
        for name in argv:
            responses += check_file(name)
        if expect >= 0 and responses != expect:
            raise Bad(f"{responses} responses, expected {expect}")
    except (Bad, OSError) as e:
        print(f"warc_check: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
