"""Prints the whole tree of an HDF5 file as JSON, read with h5py.

An independent reader for the NIR export tests: spikemed writes with h5wasm, this reads with the
HDF5 library through h5py, as neuromorphs/NIR's nir.read does. Usage: read_nir.py FILE
"""
import json
import sys

import h5py
import numpy as np


def describe(item):
    if isinstance(item, h5py.Group):
        return {"kind": "group", "children": {name: describe(child) for name, child in item.items()}}
    string = h5py.check_string_dtype(item.dtype)
    value = item[()]
    if string is not None:
        flat = [s.decode(string.encoding) for s in np.asarray(value, dtype=object).ravel()]
        value = flat[0] if item.shape == () else np.array(flat, dtype=object).reshape(item.shape).tolist()
        dtype = "string"
    else:
        value = value.tolist()
        dtype = str(item.dtype)
    return {
        "kind": "dataset",
        "dtype": dtype,
        "encoding": string.encoding if string is not None else None,
        "variable_length": string.length is None if string is not None else None,
        "shape": list(item.shape),
        "compression": item.compression,
        "value": value,
    }


with h5py.File(sys.argv[1], "r") as f:
    json.dump(describe(f), sys.stdout, allow_nan=False)
