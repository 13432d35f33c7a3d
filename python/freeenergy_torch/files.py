"""Reading and writing the files FreeEnergy.Core exchanges with PyTorch.

Weights: a torch.save state_dict (.pt, read with torch.load) or safetensors (.safetensors). Debian 12 ships no
`safetensors` package for Python, so the format (an 8-byte little-endian header length, a JSON index of
dtype / shape / data_offsets, then the raw little-endian bytes) is read and written here with the standard
library and torch.frombuffer; files written here load with safetensors.torch.load_file and vice versa.
"""

import json
import os
import struct

import torch

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}
_NAMES = {dtype: name for name, dtype in _DTYPES.items()}


def load_tensors(path):
    """Reads a safetensors file into a dict of CPU tensors (in file order)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"'{path}' is not a safetensors file: {len(data)} bytes.")
    (header_length,) = struct.unpack("<Q", data[:8])
    if header_length > len(data) - 8:
        raise ValueError(f"'{path}' is truncated: its header announces {header_length} bytes of index, the file holds {len(data) - 8}.")
    index = json.loads(data[8:8 + header_length].decode("utf-8"))
    body = memoryview(data)[8 + header_length:]
    tensors = {}
    for name, entry in index.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        if end > len(body):
            raise ValueError(f"'{path}' is truncated: tensor '{name}' ends at byte {end} of the data, the file holds {len(body)}.")
        dtype = _DTYPES[entry["dtype"]]
        raw = bytearray(body[begin:end])  # a copy: aligned and writable
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors


def save_tensors(tensors, path):
    """Writes a dict of tensors as a safetensors file (offsets 8-byte aligned, as the reference writer does)."""
    index, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        t = tensor.detach().cpu().contiguous()
        raw = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        index[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    header = json.dumps(index, separators=(",", ":")).encode("utf-8")
    header += b" " * ((8 - len(header) % 8) % 8)
    _write_atomically(path, struct.pack("<Q", len(header)) + header + b"".join(chunks))


def load_weights(path):
    """Reads a state_dict from a torch.save file or a safetensors file (told apart by their first bytes)."""
    with open(path, "rb") as f:
        head = f.read(9)
    if head[:4] == b"PK\x03\x04":
        return torch.load(path, map_location="cpu")
    if len(head) == 9 and head[8:9] == b"{":
        return load_tensors(path)
    raise ValueError(f"'{path}' is neither a torch.save state_dict (a zip archive) nor a safetensors file.")


def save_weights(network, path, format=None):
    """Writes network.state_dict() as 'state_dict' (torch.save, .pt) or 'safetensors' (default: by extension)."""
    format = format or ("safetensors" if str(path).endswith(".safetensors") else "state_dict")
    state = {name: value.detach().cpu().contiguous() for name, value in network.state_dict().items()}
    if format == "safetensors":
        save_tensors(state, path)
    elif format == "state_dict":
        temporary = f"{path}.tmp-{os.getpid()}"
        torch.save(state, temporary)
        os.replace(temporary, path)
    else:
        raise ValueError(f"Unknown format {format!r}: expected 'state_dict' or 'safetensors'.")


def configuration_path(weights_path):
    """The .config.json file beside a weights file (model.pt -> model.config.json), as FreeEnergy.Core names it."""
    return os.path.splitext(str(weights_path))[0] + ".config.json"


def load_configuration(path):
    """The model configuration of a .config.json file (or of the one beside a weights file)."""
    if not str(path).endswith(".json"):
        path = configuration_path(path)
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    if document.get("format") != "FreeEnergy.Core.PyTorchConfiguration":
        raise ValueError(f"'{path}' is not a FreeEnergy.Core configuration file (format {document.get('format')!r}).")
    return document["configuration"]


def save_configuration(configuration, path):
    """Writes a configuration in the layout FreeEnergy.Core writes beside weights."""
    document = {"format": "FreeEnergy.Core.PyTorchConfiguration", "version": 1, "libraryVersion": "python", "configuration": configuration}
    _write_atomically(path, json.dumps(document, indent=2).encode("utf-8"))


def load_surface(folder):
    """The points of a surface exported with EquilibriumSurface.ExportPyTorch: a list of dicts with lambda,
    gamma, rate, distortion, classification, accuracy and the full paths of 'weights' and 'configuration'."""
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    points = manifest["points"]
    for point in points:
        point["weights"] = os.path.join(folder, point["weights"])
        point["configuration"] = os.path.join(folder, point["configuration"])
    return points


def _write_atomically(path, payload):
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
