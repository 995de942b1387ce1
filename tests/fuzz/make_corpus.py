#!/usr/bin/env python3
"""Regenerates the committed seed corpora: python3 tests/fuzz/make_corpus.py

corpus/document/: MessagePack documents, valid ones in every format and width plus broken ones.
corpus/json/: JSON documents, JSON Lines and arrays, tricky numbers and strings, broken inputs.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def s(text):
    b = text.encode() if isinstance(text, str) else text
    n = len(b)
    if n < 32:
        return bytes([0xa0 | n]) + b
    if n < 256:
        return b"\xd9" + bytes([n]) + b
    if n < 65536:
        return b"\xda" + struct.pack(">H", n) + b
    return b"\xdb" + struct.pack(">I", n) + b


def i(v):
    if 0 <= v < 128:
        return bytes([v])
    if -32 <= v < 0:
        return struct.pack(">b", v)
    if 0 <= v < 256:
        return b"\xcc" + bytes([v])
    if 0 <= v < 65536:
        return b"\xcd" + struct.pack(">H", v)
    if 0 <= v < 2**32:
        return b"\xce" + struct.pack(">I", v)
    if 0 <= v < 2**64:
        return b"\xcf" + struct.pack(">Q", v)
    if v >= -128:
        return b"\xd0" + struct.pack(">b", v)
    if v >= -32768:
        return b"\xd1" + struct.pack(">h", v)
    if v >= -2**31:
        return b"\xd2" + struct.pack(">i", v)
    return b"\xd3" + struct.pack(">q", v)


def m(*pairs):
    n = len(pairs)
    head = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
    return head + b"".join(s(k) + v for k, v in pairs)


def a(*items):
    n = len(items)
    head = bytes([0x90 | n]) if n < 16 else b"\xdc" + struct.pack(">H", n)
    return head + b"".join(items)


def f64(v):
    return b"\xcb" + struct.pack(">d", v)


def f32(v):
    return b"\xca" + struct.pack(">f", v)


def ext(t, payload):
    fix = {1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8}
    if len(payload) in fix:
        return bytes([fix[len(payload)]]) + struct.pack(">b", t) + payload
    return b"\xc7" + bytes([len(payload)]) + struct.pack(">b", t) + payload


def binary(payload):
    return b"\xc4" + bytes([len(payload)]) + payload


NIL, TRUE, FALSE = b"\xc0", b"\xc3", b"\xc2"

DOCUMENTS = {
    "empty_map": m(),
    "scalars": m(("n", NIL), ("t", TRUE), ("f", FALSE), ("i", i(-1)), ("u", i(200))),
    "int_widths": m(*[("k%d" % n, i(v)) for n, v in enumerate(
        [0, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**64 - 1,
         -1, -32, -33, -128, -129, -32768, -32769, -2**31, -2**31 - 1, -2**63])]),
    "non_canonical_ints": m(("a", b"\xd3" + struct.pack(">q", 1)), ("b", b"\xcf" + struct.pack(">Q", 7)),
                            ("c", b"\xd0\x05"), ("d", b"\xcd\x00\x01")),
    "doubles": m(("a", f64(1.0)), ("b", f64(-0.0)), ("c", f64(0.1)), ("d", f64(5e-324)),
                 ("e", f64(1.7976931348623157e308)), ("nan", f64(float("nan"))),
                 ("inf", f64(float("inf")))),
    "float32": m(("a", f32(1.5)), ("b", f32(2.0)), ("c", f32(float("-inf")))),
    "strings": m(("e", s("")), ("s", s("x" * 40)), ("l", s("y" * 300)),
                 ("u", s("é€😀")), ("c", s("a\"b\\c\n\x00\x1f"))),
    "str8_short": b"\x81\xa1k\xd9\x03abc",
    "binary": m(("b", binary(b"\x00\xff\x10")), ("e", binary(b""))),
    "ext_types": m(("n", ext(1, b"1e400")), ("h", ext(1, b"123456789012345678901234567890")),
                   ("x", ext(42, b"abcd")), ("ts", ext(-1, b"\x00\x00\x00\x01")),
                   ("e0", b"\xc7\x00\x40")),
    "nested": m(("a", a(i(1), a(), m(("b", a(m(("c", NIL)))))))),
    "deep_16": m(("d", b"\x91" * 14 + b"\x80")),
    "deep_17": m(("d", b"\x91" * 15 + b"\x80")),
    "big_map": m(*[("key%d" % n, i(n)) for n in range(40)]),
    "big_array": m(("a", a(*[i(n) for n in range(20)]))),
    "dollar_keys": m(("$ext", i(1)), ("$b64", s("x"))),
    "long_key_64": m(("k" * 64, i(1))),
    # Broken on purpose: each exercises one error path.
    "bad_truncated": m(("a", s("hello")))[:-2],
    "bad_trailing": m(("a", i(1))) + b"\x00",
    "bad_c1": b"\x81\xa1a\xc1",
    "bad_dup": b"\x82\xa1a\x01\xa1a\x02",
    "bad_utf8": b"\x81\xa1a\xa2\xc0\x80",
    "bad_key_type": b"\x81\x01\x01",
    "bad_count": b"\xdf\xff\xff\xff\xff",
    "bad_reserved_ext": b"\x81\xa1a\xd4\x00\x00",
    "bad_ext1_text": b"\x81\xa1a\xc7\x02\x0101",
    "bad_not_map": a(i(1)),
    "long_key_65": m(("k" * 65, i(1))),
}

JSON = {
    "empty_object": "{}",
    "numbers": '{"min":-9223372036854775808,"max":9223372036854775807,"u":18446744073709551615,'
               '"two64":18446744073709551616,"big":1e400,"tiny":1e-400,"nz":-0.0,"d":0.1,'
               '"sub":1e-320,"one":1.0,"exp":1E+5,"huge":1234567890123456789012345678901234567890}',
    "strings": '{"esc":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f","u":"\\u00e9\\ud83d\\ude00",'
               '"raw":"é😀","":""}',
    "nested": '{"a":[[[]],[{}],{"b":[1,2,{"c":null}]}],"t":true,"f":false}',
    "deep_16": '{"a":' + "[" * 15 + "]" * 15 + "}",
    "deep_17": '{"a":' + "[" * 16 + "]" * 16 + "}",
    "jsonl": '{"a":1}\n\n  \n{"b":[2]}\r\n{"c":"x"}\n',
    "array_of_objects": '[{"a":1},{"b":"],["},{"c":{"d":[]}}]',
    "empty_array": "[]",
    "scalar_number": "42",
    "scalar_string": '"hello"',
    "big_object": "{" + ",".join('"k%d":%d' % (n, n) for n in range(40)) + "}",
    "long_key": '{"' + "k" * 64 + '":1}',
    "whitespace": ' \t\n{ "a" : [ 1 , 2 ] }\r\n ',
    "bad_trailing_comma": '{"a":1,}',
    "bad_missing_colon": '{"a" 1}',
    "bad_literal": '{"a":tru}',
    "bad_number": '{"a":01}',
    "bad_trailing": '{"a":1} x',
    "bad_dup": '{"a":1,"a":2}',
    "bad_surrogate": '{"a":"\\ud800"}',
    "bad_control": '{"a":"x\x01y"}',
    "bad_unterminated": '{"a":"x',
    "bad_deep": '{"a":' + "[" * 200,
    "bad_array_element": '[{},1,{}]',
    "bad_jsonl_line": '{"a":1}\n{"b":}\n',
    "bad_top_level": '[1]',
}


def write(directory, files):
    path = os.path.join(HERE, "corpus", directory)
    os.makedirs(path, exist_ok=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


write("document", DOCUMENTS)
write("json", JSON)
JSON_BAD_UTF8 = {"bad_utf8": b'{"a":"\xff"}'}
write("json", JSON_BAD_UTF8)
