#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from the golden vectors.

Each target gets a few hundred small inputs in its own input format (see the targets and
fuzz_targets/common.rs). Re-run after the golden vectors or an input format change:

    python3 fuzz/seed_corpus.py
"""
import hashlib
import json
import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")
PER_TARGET = 200
MAX_BYTES = 4096

FIRST_SPECIAL, VOCAB_SIZE = 199998, 201089
# Must match STRUCTURAL in fuzz_targets/common.rs.
STRUCTURAL = [200006, 200008, 200005, 200003, 200007, 200002, 200012,
              173781, 1428, 17196, 12606, 35644, 220, 4108, 127, 102]
ROLES = ["user", "assistant", "system", "developer", "tool"]


def token_bytes(tokens):
    """The inverse of common::tokens."""
    out = bytearray()
    for t in tokens:
        if t in STRUCTURAL:
            out.append(STRUCTURAL.index(t))
        elif FIRST_SPECIAL <= t < VOCAB_SIZE:
            out.append(0x80)
            out += (t - FIRST_SPECIAL).to_bytes(2, "big")
        elif t < FIRST_SPECIAL:
            out.append(0xC0)
            out += t.to_bytes(3, "big")
        else:
            out.append(0xC1)
            out += t.to_bytes(4, "big")
    return bytes(out)


def selector(role, strict):
    """The option byte of common::options."""
    sel = ROLES.index(role) + 1 if role in ROLES else 0
    return sel | (0 if strict else 0x40)


def sized(data):
    """A length-prefixed slice as c_api's Input::bytes reads it."""
    if len(data) < 255:
        return bytes([len(data)]) + data
    blocks = min((len(data) + 63) // 64, 255)
    data = data[: blocks * 64].ljust(blocks * 64, b" ")
    return bytes([255, blocks]) + data


def main():
    vectors = [json.loads(line) for line in open(os.path.join(ROOT, "tests", "golden", "vectors.jsonl"))]
    corpora = {t: [] for t in ["render", "parse", "stream", "c_api", "encode"]}
    for v in vectors:
        kind = v["kind"]
        if kind in ("render", "render_message"):
            doc = v["input"].encode()
            corpora["render"].append(doc)
            mode = ["completion", "conversation", "training"].index(v["mode"]) if kind == "render" else 3
            role = ROLES.index(v["next_role"]) if v.get("next_role") in ROLES else 1
            flags = 0 if v.get("auto_drop_analysis", True) else 1
            prog = bytes([0x80, mode + 1, role + 2, flags]) + sized(doc)
            if "tokens" in v:
                prog += bytes([0x82, 1]) + sized(token_bytes(v["tokens"]))  # parse, no role
            corpora["c_api"].append(prog)
        elif kind in ("parse", "stream"):
            sel = selector(v.get("role"), v.get("strict", True))
            data = bytes([sel]) + token_bytes(v["tokens"])
            corpora["parse" if kind == "parse" else "stream"].append(data)
            role = ROLES.index(v["role"]) if v.get("role") in ROLES else -1
            flags = 0 if v.get("strict", True) else 1
            prog = bytes([0x87, 0, (role + 2) % 8, flags])  # parser_new in slot 0
            prog += bytes([0x89, 0]) + sized(token_bytes(v["tokens"])) + bytes([0x8A, 0, 0x8B, 0])
            corpora["c_api"].append(prog)
        elif kind == "encode":
            text = v["text"].encode()
            corpora["encode"].append(text)
            flags = 1 if v.get("allowed_special") else 0
            corpora["c_api"].append(bytes([0x83, flags]) + sized(text))
        elif kind == "decode":
            corpora["c_api"].append(bytes([0x85, 1 if v.get("lossy") else 0]) + sized(token_bytes(v["tokens"])) + b"\0")
            if v.get("text") is not None:
                corpora["encode"].append(v["text"].encode())
    # Streams also get the parse vectors with an end of stream and a clone in the middle.
    for data in corpora["parse"][:100]:
        mid = 1 + (len(data) - 1) // 2
        corpora["stream"].append(data[:mid] + b"\xf1" + data[mid:] + b"\xf0")
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for target, items in corpora.items():
        os.makedirs(os.path.join(OUT, target))
        seen = set()
        # Spread the picks over the whole list, smallest inputs of each stride first.
        items = [i for i in items if 0 < len(i) <= MAX_BYTES]
        step = max(1, len(items) // PER_TARGET)
        for data in items[::step]:
            name = hashlib.sha1(data).hexdigest()
            if name in seen or len(seen) >= PER_TARGET:
                continue
            seen.add(name)
            with open(os.path.join(OUT, target, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seen)} files")


if __name__ == "__main__":
    main()
