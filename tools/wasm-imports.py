#!/usr/bin/env python3
"""Prints the top-level imports of a WebAssembly component, one per line
(e.g. `wasi:cli/environment@0.2.6 (instance)`), nothing when it has none.

Usage: tools/wasm-imports.py FILE.wasm
Exit 1 (with a message) when FILE is not a component or is malformed.
Used by tools/build-plugins.sh; reads only the component import section
(id 10) of the outermost component, per the component-model binary format.
"""
import sys

PRIMITIVE_VALTYPES = set(range(0x73, 0x80)) | {0x64}
KINDS = {0x00: "module", 0x01: "func", 0x02: "value", 0x03: "type", 0x04: "component", 0x05: "instance"}


class Malformed(Exception):
    pass


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            raise Malformed("unexpected end at byte %d" % self.pos)
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u32(self):
        result, shift = 0, 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
            if shift > 35:
                raise Malformed("LEB128 too long at byte %d" % self.pos)

    def string(self):
        n = self.u32()
        if self.pos + n > self.end:
            raise Malformed("string runs past the section")
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s


def extern_name(r):
    lead = r.byte()
    if lead not in (0x00, 0x01, 0x02):
        raise Malformed("bad name byte 0x%02x" % lead)
    name = r.string()
    suffix = None
    if lead == 0x02:
        for _ in range(r.u32()):
            opt = r.byte()
            value = r.string()
            if opt == 0x01:
                suffix = value
    if suffix and "@" in name:
        name += suffix
    return name


def type_ref(r):
    kind = r.byte()
    if kind == 0x00:
        if r.byte() != 0x11:
            raise Malformed("bad core module type ref")
        r.u32()
    elif kind in (0x01, 0x04, 0x05):
        r.u32()
    elif kind == 0x02:
        bound = r.byte()
        if bound == 0x00:
            r.u32()
        elif bound == 0x01:
            t = r.data[r.pos] if r.pos < r.end else None
            if t in PRIMITIVE_VALTYPES:
                r.byte()
            else:
                r.u32()
        else:
            raise Malformed("bad value bound")
    elif kind == 0x03:
        bound = r.byte()
        if bound == 0x00:
            r.u32()
        elif bound != 0x01:
            raise Malformed("bad type bound")
    else:
        raise Malformed("bad extern kind 0x%02x" % kind)
    return KINDS[kind]


def imports(data):
    if data[:4] != b"\0asm" or data[4:8] != b"\x0d\x00\x01\x00":
        raise Malformed("not a WebAssembly component (header %s)" % data[:8].hex())
    r = Reader(data, 8)
    out = []
    while r.pos < r.end:
        sid = r.byte()
        size = r.u32()
        start, end = r.pos, r.pos + size
        if end > len(data):
            raise Malformed("section %d runs past the file" % sid)
        if sid == 10:
            s = Reader(data, start, end)
            for _ in range(s.u32()):
                name = extern_name(s)
                out.append("%s (%s)" % (name, type_ref(s)))
        r.pos = end
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    try:
        for line in imports(data):
            print(line)
    except (Malformed, UnicodeDecodeError) as e:
        print("%s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
