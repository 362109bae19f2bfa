#!/usr/bin/env python3
"""Reads a safetensors file with numpy alone and prints each tensor, to show that Kobai's files
need no Kobai (nor the safetensors package) to be read.

Usage: read_safetensors.py FILE           one line per tensor: name, dtype, shape, sum, first values
       read_safetensors.py FILE --json    {"name": {"dtype", "shape", "values"}} with every value
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U8": "u1", "BOOL": "?", "U16": "<u2", "U32": "<u4", "U64": "<u8"}


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]])
        tensors[name] = (info["dtype"], arr.reshape(info["shape"]))
    return meta, tensors


def save(path, tensors, metadata=None):
    """Writes {name: numpy array} as a safetensors file (F64, F32 or I64 after each array's dtype),
    the counterpart of load, so that torch state dicts reach Kobai without the safetensors package."""
    names = {np.dtype("<f8"): "F64", np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}
    header = {"__metadata__": dict(metadata or {})}
    blobs, offset = [], 0
    for name, array in tensors.items():
        a = np.array(array, order="C")  # keeps a 0-d array 0-d, as ascontiguousarray would not
        kind = names[a.dtype.newbyteorder("<")]
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": kind, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def main():
    meta, tensors = load(sys.argv[1])
    if "--json" in sys.argv[2:]:
        out = {name: {"dtype": d, "shape": list(a.shape),
                      "values": [float(x) if d.startswith("F") else int(x) for x in a.ravel()]}
               for name, (d, a) in tensors.items()}
        json.dump(out, sys.stdout)
        return
    print("metadata:", ", ".join(sorted(meta)))
    for name, (d, a) in tensors.items():
        print(f"{name}\t{d}\t{list(a.shape)}\tsum={a.astype(np.float64).sum():.6g}\t{a.ravel()[:3]}")


if __name__ == "__main__":
    main()
