"""Hostile model files: refused with ModelFileError, and no code runs.

Every forged file is a real skops payload of a small fitted model whose
schema (or a member) was edited, re-zipped and re-hashed, so that only the
type allowlist and the checks of ``load_model`` stand in the way. Payloads
that would act try to create ``marker`` in ``tmp_path``.
"""

import base64
import hashlib
import importlib
import io
import json
import marshal
import os
import struct
import subprocess
import sys
import tracemalloc
import types
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from skprecmed import (
    KerasNetClassifier,
    ModelFileError,
    load_model,
    read_metadata,
    save_model,
)
from skprecmed._model_file import KERAS_REGISTERED, trusted_type_names

WORKTREE = str(Path(__file__).resolve().parents[1])
MB = 2**20


# ------------------------------------------------------------- the model
@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = KerasNetClassifier(hidden_layer_sizes=(4,), epochs=1, random_state=0)
    clf.fit(X, y)
    path = tmp_path_factory.mktemp("valid") / "model.skprecmed"
    save_model(clf, path)
    return types.SimpleNamespace(path=path, data=path.read_bytes(), X=X, clf=clf)


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _outer(payload, metadata=None, valid_data=None, extra=None):
    """A model file around ``payload``, its manifest hash recomputed."""
    metadata = dict(metadata or json.loads(_members(valid_data)["metadata.json"]))
    metadata["payload_sha256"] = hashlib.sha256(payload).hexdigest()
    members = {"metadata.json": json.dumps(metadata), "model.skops": payload}
    return _zip({**members, **(extra or {})}, zipfile.ZIP_DEFLATED)


def _forge(valid, schema_edit=None, member_edit=None):
    """The valid file with its skops schema/members edited, re-hashed."""
    skops_members = _members(_members(valid.data)["model.skops"])
    schema = json.loads(skops_members["schema.json"])
    if schema_edit is not None:
        schema = schema_edit(schema) or schema
    skops_members["schema.json"] = json.dumps(schema)
    if member_edit is not None:
        member_edit(schema, skops_members)
    return _outer(_zip(skops_members), valid_data=valid.data)


def _attrs(schema):
    return schema["content"]["content"]


def _write(tmp_path, data, name="evil.skprecmed"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -------------------------------------------------------- skops nodes
def _json(value):
    return {
        "__class__": "str",
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(value),
        "is_json": True,
    }


def _tuple(*items):
    return {
        "__class__": "tuple",
        "__module__": "builtins",
        "__loader__": "TupleNode",
        "content": list(items),
    }


def _call(module, name, *args):
    """A reduce-style node: ``module.name(*args)`` when built."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": _tuple(*args),
    }


def _type(module, name):
    return {"__class__": name, "__module__": module, "__loader__": "TypeNode"}


def _method(module, name, func):
    """``getattr(module.name, func)``: an attribute chain."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "MethodNode",
        "content": {"func": func, "obj": _type(module, name)},
    }


def _function(module, name):
    return {"__class__": name, "__module__": module, "__loader__": "FunctionNode"}


def _touch(marker):
    return f"open({str(marker)!r}, 'w').close()"


def _compiled_sksurv_module():
    import sksurv.kernels._clinical_kernel as compiled

    assert compiled.__file__.endswith((".so", ".pyd"))
    return compiled.__name__


#: name -> node factory(marker); each node is put in the estimator's state
HOSTILE_NODES = {
    "builtins.exec": lambda m: _call("builtins", "exec", _json(_touch(m))),
    "builtins.eval": lambda m: _call("builtins", "eval", _json(_touch(m))),
    "os.system": lambda m: _call("posix", "system", _json(f"touch {m}")),
    "package function save_model": lambda m: _call(
        "skprecmed._model_file",
        "save_model",
        _call("skprecmed._classifier", "KerasNetClassifier"),
        _json(str(m)),
    ),
    "package function atomic_write": lambda m: _call(
        "skprecmed._atomic", "atomic_write", _json(str(m))
    ),
    "module global skprecmed._keras.os": lambda m: _method(
        "skprecmed._keras", "os", "system"
    ),
    "module global skprecmed._model_file.zipfile": lambda m: _method(
        "skprecmed._model_file", "zipfile", "ZipFile"
    ),
    "sksurv __builtins__": lambda m: _method(
        _compiled_sksurv_module(), "__builtins__", "exec"
    ),
    "function node builtins.exec": lambda m: _function("builtins", "exec"),
    "method of a trusted class": lambda m: {
        "__class__": "KerasNetClassifier",
        "__module__": "skprecmed._classifier",
        "__loader__": "MethodNode",
        "content": {
            "func": "fit",
            "obj": _call("skprecmed._classifier", "KerasNetClassifier"),
        },
    },
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_NODES))
def test_hostile_types_are_refused(valid, tmp_path, kind):
    marker = tmp_path / "marker"

    def edit(schema):
        _attrs(schema)["verbose"] = HOSTILE_NODES[kind](marker)

    path = _write(tmp_path, _forge(valid, edit))
    with pytest.raises(ModelFileError, match="contains types that are not trusted"):
        load_model(path)
    with pytest.raises(ModelFileError, match="not trusted"):
        read_metadata(path)
    assert not marker.exists()


@pytest.mark.parametrize("kind", ["builtins.exec", "package function save_model"])
def test_hostile_payloads_are_real(valid, tmp_path, kind):
    # the control: skops told to trust everything runs the payload
    import skops.io

    marker = tmp_path / "marker"

    def edit(schema):
        _attrs(schema)["verbose"] = HOSTILE_NODES[kind](marker)

    payload = _members(_forge(valid, edit))["model.skops"]
    skops.io.loads(payload, trusted=skops.io.get_untrusted_types(data=payload))
    assert marker.exists()


def test_allowlist_holds_exact_class_names_only():
    names = trusted_type_names()
    assert "skprecmed._classifier.KerasNetClassifier" in names
    assert "sksurv.linear_model.coxph.BreslowEstimator" in names
    for name in names:
        module_name, _, attribute = name.rpartition(".")
        assert module_name.split(".")[0] in {"skprecmed", "sksurv", "sklearn", "numpy"}
        obj = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(obj, type), name  # no module, function or builtin
        # defined where it is named: not a module global imported from elsewhere
        assert f"{obj.__module__}.{obj.__qualname__}" == name
    assert not any(name.endswith(".") or name.startswith("builtins.") for name in names)


def test_user_trusted_names_are_exact(valid, tmp_path):
    marker = tmp_path / "marker"

    def edit(schema):
        _attrs(schema)["verbose"] = HOSTILE_NODES["builtins.exec"](marker)

    path = _write(tmp_path, _forge(valid, edit))
    # a string is one name, not a set of characters or a prefix
    for trusted in ("builtins.exec.x", ["builtins"], ["builtins.exe"]):
        with pytest.raises(ModelFileError, match=r"not trusted: \['builtins.exec'\]"):
            load_model(path, trusted=trusted)
    assert not marker.exists()


def test_registered_keras_names_match_skprecmed_losses(valid):
    import keras

    from skprecmed._losses import cox_ph_loss

    assert keras.saving.get_registered_name(cox_ph_loss) in KERAS_REGISTERED


# ---------------------------------------------------------- Keras archive
def _keras_member(schema):
    return _attrs(schema)["model_"]["content"]["file"]


def _edit_keras(edit):
    def member_edit(schema, skops_members):
        name = _keras_member(schema)
        keras_members = _members(skops_members[name])
        config = json.loads(keras_members["config.json"])
        edit(config)
        keras_members["config.json"] = json.dumps(config)
        skops_members[name] = _zip(keras_members, zipfile.ZIP_DEFLATED)

    return member_edit


def _lambda_layer(marker):
    code = (lambda x: open(str(marker), "w").close() or x).__code__  # noqa: E731
    return {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "name": "evil",
            "function": {
                "class_name": "__lambda__",
                "config": {
                    "code": base64.b64encode(marshal.dumps(code)).decode(),
                    "defaults": None,
                    "closure": None,
                },
            },
        },
        "registered_name": None,
    }


KERAS_EDITS = {
    "Lambda layer": (
        lambda c, m: c["config"]["layers"].append(_lambda_layer(m)),
        "'Lambda' object, which runs Python code",
    ),
    "foreign module": (
        lambda c, m: c["config"]["layers"][1].update(module="os"),
        "refers to module 'os', outside Keras",
    ),
    "custom object": (
        lambda c, m: c["config"]["layers"][1].update(registered_name="evil>Layer"),
        "refers to custom object 'evil>Layer'",
    ),
    "dotted function": (
        lambda c, m: c["compile_config"].update(
            loss={
                "module": "builtins",
                "class_name": "function",
                "config": "os.system",
                "registered_name": "function",
            }
        ),
        "refers to function 'os.system'",
    ),
}


@pytest.mark.parametrize("kind", sorted(KERAS_EDITS))
def test_hostile_keras_archives_are_refused_at_load(valid, tmp_path, kind):
    marker = tmp_path / "marker"
    edit, message = KERAS_EDITS[kind]
    path = _write(
        tmp_path, _forge(valid, member_edit=_edit_keras(lambda c: edit(c, marker)))
    )
    with pytest.raises(ModelFileError, match=message):
        load_model(path)
    assert not marker.exists()


def test_a_network_stored_as_an_array_is_refused(valid, tmp_path):
    # the Keras bytes smuggled in as a uint8 array, which Keras would accept
    def member_edit(schema, skops_members):
        data = np.frombuffer(skops_members[_keras_member(schema)], dtype=np.uint8)
        buffer = io.BytesIO()
        np.save(buffer, data, allow_pickle=False)
        skops_members["smuggled.npy"] = buffer.getvalue()
        _attrs(schema)["model_"]["content"] = {
            "__class__": "ndarray",
            "__module__": "numpy",
            "__loader__": "NdArrayNode",
            "type": "numpy",
            "file": "smuggled.npy",
        }
        skops_members["schema.json"] = json.dumps(schema)

    path = _write(tmp_path, _forge(valid, member_edit=member_edit))
    with pytest.raises(ModelFileError, match="not stored as bytes"):
        load_model(path)


# ------------------------------------------------------------ the arrays
class _Exec:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return exec, (self.code,)


def test_pickled_object_arrays_are_refused(valid, tmp_path):
    marker = tmp_path / "marker"

    def member_edit(schema, skops_members):
        buffer = io.BytesIO()
        np.save(buffer, np.array([_Exec(_touch(marker))], dtype=object))
        skops_members[_attrs(schema)["classes_"]["file"]] = buffer.getvalue()

    path = _write(tmp_path, _forge(valid, member_edit=member_edit))
    with pytest.raises(ModelFileError, match="holds pickled Python objects"):
        load_model(path)
    assert not marker.exists()


def test_arrays_declaring_more_than_they_hold_are_refused(valid, tmp_path):
    def member_edit(schema, skops_members):
        name = _attrs(schema)["classes_"]["file"]
        header = skops_members[name].replace(b"(2,)", b"(2000000000,)")
        skops_members[name] = header

    path = _write(tmp_path, _forge(valid, member_edit=member_edit))
    with pytest.raises(ModelFileError, match="does not hold the"):
        load_model(path)


# ------------------------------------------------------------ zip bombs
def _raw_zip(name, packed, size, crc, method=zipfile.ZIP_DEFLATED):
    """A one-member zip archive written by hand, declaring what it is told."""
    encoded = name.encode()
    local = struct.pack(
        "<4s5H3I2H",
        b"PK\x03\x04",
        20,
        0,
        method,
        0,
        0,
        crc,
        len(packed),
        size,
        len(encoded),
        0,
    )
    central = struct.pack(
        "<4s6H3I5H2I",
        b"PK\x01\x02",
        20,
        20,
        0,
        method,
        0,
        0,
        crc,
        len(packed),
        size,
        len(encoded),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    directory = central + encoded
    offset = len(local) + len(encoded) + len(packed)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 1, 1, len(directory), offset, 0)
    return local + encoded + packed + directory + end


def _gigabyte_of_zeros():
    """A real deflate stream of 1 GiB of zeros, about 1 MB long, and its CRC."""
    chunk = bytes(MB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(chunk, crc)
    return block * 1024 + b"\x03\x00", crc


def test_zip_bomb_is_refused_without_inflating_it(tmp_path):
    packed, crc = _gigabyte_of_zeros()
    assert len(packed) < 2 * MB
    # the stream is genuine: its first MiB inflates to zeros
    assert zlib.decompressobj(-15).decompress(packed, MB) == bytes(MB)
    path = _write(tmp_path, _raw_zip("model.skops", packed, 2**30, crc))
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="a zip bomb"):
            load_model(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB


def test_member_declaring_a_gigabyte_is_refused(valid, tmp_path):
    payload = _members(valid.data)["model.skops"]
    packed = zlib.compress(payload)[2:-4]
    data = _raw_zip("model.skops", packed, 2**30, zlib.crc32(payload))
    with pytest.raises(ModelFileError, match="a zip bomb"):
        load_model(_write(tmp_path, data))


def test_bomb_inside_the_payload_is_refused(valid, tmp_path):
    def member_edit(schema, skops_members):
        skops_members["bomb.npz"] = _zip(
            {"x.npy": bytes(64 * MB)}, zipfile.ZIP_DEFLATED
        )

    with pytest.raises(ModelFileError, match="a zip bomb"):
        load_model(_write(tmp_path, _forge(valid, member_edit=member_edit)))


@pytest.mark.parametrize("name", ["../../escape", "/tmp/absolute", "a/../../b", "C:x"])
def test_member_names_leaving_the_archive_are_refused(valid, tmp_path, name):
    outer = _members(valid.data)
    outer[name] = b"x"
    with pytest.raises(ModelFileError, match="absolute path or leaves the archive"):
        load_model(_write(tmp_path, _zip(outer)))

    def member_edit(schema, skops_members):
        skops_members[name] = b"x"

    with pytest.raises(ModelFileError, match="absolute path or leaves the archive"):
        load_model(_write(tmp_path, _forge(valid, member_edit=member_edit)))


# -------------------------------------------------------- corrupt files
def test_corrupt_deflate_stream_is_refused(valid, tmp_path):
    data = bytearray(valid.data)
    with zipfile.ZipFile(io.BytesIO(valid.data)) as archive:
        info = archive.getinfo("model.skops")
    name_length, extra_length = struct.unpack_from("<2H", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    middle = start + info.compress_size // 2
    data[middle : middle + 64] = bytes(64)
    with pytest.raises(ModelFileError, match="member 'model.skops' is corrupt"):
        load_model(_write(tmp_path, bytes(data)))


def test_garbage_payload_with_a_valid_hash_is_refused(valid, tmp_path):
    garbage = np.random.RandomState(0).bytes(5000)
    with pytest.raises(ModelFileError, match="model.skops is not a skprecmed model"):
        load_model(_write(tmp_path, _outer(garbage, valid_data=valid.data)))


def test_edited_manifest_is_refused(valid, tmp_path):
    members = _members(valid.data)
    metadata = json.loads(members["metadata.json"])
    metadata["payload_sha256"] = hashlib.sha256(b"another payload").hexdigest()
    members["metadata.json"] = json.dumps(metadata)
    with pytest.raises(ModelFileError, match="modified after it was written"):
        load_model(_write(tmp_path, _zip(members)))


@pytest.mark.parametrize(
    "field, value",
    [
        ("payload_sha256", 5),
        ("versions", ["numpy"]),
        ("versions", {"numpy": 2}),
        ("n_features_in", True),
        ("steps", [["scaler"]]),
        ("hyperparameters", "epochs=1"),
        ("training", [400]),
        ("training", {"n_rows": -1}),
        ("training", {"n_rows": True}),
        ("training", {"class_counts": {"benign": "250"}}),
    ],
)
def test_metadata_with_odd_types_is_refused(valid, tmp_path, field, value):
    members = _members(valid.data)
    metadata = json.loads(members["metadata.json"])
    metadata[field] = value
    members["metadata.json"] = json.dumps(metadata)
    with pytest.raises(ModelFileError, match=f"malformed metadata: '{field}'"):
        read_metadata(_write(tmp_path, _zip(members)))


def test_deep_json_nesting_is_refused(valid, tmp_path):
    deep = "[" * 200_000 + "]" * 200_000
    members = _members(valid.data)
    members["metadata.json"] = deep
    with pytest.raises(ModelFileError, match="nests JSON 200000 levels deep"):
        load_model(_write(tmp_path, _zip(members)))

    def member_edit(schema, skops_members):
        skops_members["schema.json"] = deep

    with pytest.raises(ModelFileError, match="nests JSON 200000 levels deep"):
        load_model(_write(tmp_path, _forge(valid, member_edit=member_edit)))


@pytest.mark.parametrize(
    "schema",
    [
        {"protocol": 2},
        [1, 2],
        {"protocol": 2, "__class__": "x", "__module__": "y", "__loader__": "Nope"},
        {
            "protocol": 2,
            "__class__": "ndarray",
            "__module__": "numpy",
            "__loader__": "NdArrayNode",
            "type": "numpy",
            "file": "missing.npy",
        },
        {
            "protocol": 2,
            "__class__": "x",
            "__module__": "y",
            "__loader__": "CachedNode",
            "__id__": 7,
        },
    ],
)
def test_malformed_skops_schema_is_refused(valid, tmp_path, schema):
    def member_edit(_, skops_members):
        skops_members["schema.json"] = json.dumps(schema)

    with pytest.raises(ModelFileError, match="malformed model payload"):
        load_model(_write(tmp_path, _forge(valid, member_edit=member_edit)))


def test_random_mutations_only_raise_model_file_error(valid, tmp_path):
    rng = np.random.RandomState(0)
    outer = _members(valid.data)
    inner = _members(outer["model.skops"])
    names = sorted(inner)
    loaded = 0
    for i in range(240):
        data = bytearray(valid.data)
        kind = i % 4
        if kind == 0:  # flip bytes anywhere in the file
            for position in rng.randint(0, len(data), size=rng.randint(1, 9)):
                data[position] = rng.randint(256)
        elif kind == 1:  # truncate, or append junk
            data = data[: rng.randint(len(data))] + rng.bytes(rng.randint(0, 50))
        else:  # mutate one member of the payload, then fix the hash
            members = dict(inner)
            name = names[rng.randint(len(names))]
            member = bytearray(members[name])
            for position in rng.randint(0, len(member), size=rng.randint(1, 5)):
                member[position] = rng.randint(256)
            members[name] = bytes(member)
            data = _outer(_zip(members), valid_data=valid.data)
        path = _write(tmp_path, bytes(data), f"m{i}.skprecmed")
        try:
            load_model(path)
            loaded += 1
        except ModelFileError:
            pass
    assert loaded < 60  # most mutations reached a check (23 load, seeded)


# --------------------------------------------------------- signature
def test_keyed_signature(valid, tmp_path):
    key = b"the team's secret"
    path = tmp_path / "signed.skprecmed"
    save_model(valid.clf, path, key=key)
    reloaded = load_model(path, key=key)
    np.testing.assert_array_equal(reloaded.predict(valid.X), valid.clf.predict(valid.X))
    assert load_model(path) is not None  # without a key, as before
    with pytest.raises(ModelFileError, match="wrong signature"):
        load_model(path, key=b"another key")
    with pytest.raises(ModelFileError, match="is not signed"):
        load_model(valid.path, key=key)
    # a forger who swaps the payload and fixes the hash, keeping the signature
    members = _members(path.read_bytes())
    forged = _members(_forge(valid))
    members["model.skops"] = forged["model.skops"]
    members["metadata.json"] = forged["metadata.json"]
    with pytest.raises(ModelFileError, match="wrong signature"):
        load_model(_write(tmp_path, _zip(members)), key=key)


# ------------------------------------------------------- atomic saving
def _fail_skops_dumps(monkeypatch):
    import skops.io

    def dumps(*args, **kwargs):
        raise RuntimeError("simulated failure while serialising")

    monkeypatch.setattr(skops.io, "dumps", dumps)


def _fail_fsync(monkeypatch):
    def fsync(fd):  # after the whole zip went to the temporary file
        raise OSError("simulated full disk")

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("fail", [_fail_skops_dumps, _fail_fsync])
def test_failed_save_keeps_the_previous_file(valid, tmp_path, monkeypatch, fail):
    path = tmp_path / "model.skprecmed"
    path.write_bytes(valid.data)
    fail(monkeypatch)
    with pytest.raises((RuntimeError, OSError), match="simulated"):
        save_model(KerasNetClassifier(), path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skprecmed"]
    reloaded = load_model(path)
    np.testing.assert_array_equal(reloaded.predict(valid.X), valid.clf.predict(valid.X))


# ---------------------------------------------------- the console script
@pytest.mark.slow
@pytest.mark.parametrize("command", ["predict", "info"])
def test_console_script_refuses_hostile_file(valid, tmp_path, command):
    marker = tmp_path / "marker"

    def edit(schema):
        _attrs(schema)["verbose"] = HOSTILE_NODES["package function save_model"](marker)

    path = _write(tmp_path, _forge(valid, edit))
    data = tmp_path / "data.csv"
    np.savetxt(data, valid.X, delimiter=",", header="a,b,c,d", comments="")
    script = Path(sys.executable).with_name("skprecmed")
    args = [str(script), command, str(path)] + (
        [str(data)] if command == "predict" else []
    )
    env = {**os.environ, "PYTHONPATH": WORKTREE}
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("skprecmed: error: ")
    assert "contains types that are not trusted" in lines[0]
    assert not marker.exists()
