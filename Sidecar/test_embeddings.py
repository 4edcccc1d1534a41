#!/usr/bin/env python3
"""The embedding sidecar: its encoder gives sentence-transformers' vectors, and its HTTP surface checks what it is sent.

    python3 Sidecar/test_embeddings.py
"""

import base64
import http.client
import json
import os
import subprocess
import sys
import threading
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import embeddings  # noqa: E402

REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "embeddings-reference.json")


class EncoderTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = embeddings.MiniLM.from_package()
        with open(REFERENCE, encoding="utf-8") as f:
            cls.reference = json.load(f)

    def test_vectors_are_sentence_transformers_own(self):
        # English, Hindi (which the English model reads as unknown pieces), empty, one letter, and a text past 256 tokens.
        mine = self.model.embed(self.reference["texts"])
        theirs = np.array(self.reference["vectors"], dtype=np.float32)
        self.assertEqual(mine.shape, theirs.shape)
        self.assertLess(float(np.abs(mine - theirs).max()), 1e-4)

    def test_vectors_have_unit_length_and_a_batch_changes_nothing(self):
        texts = self.reference["texts"]
        together = self.model.embed(texts)
        alone = np.stack([self.model.embed([text])[0] for text in texts])
        np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)
        self.assertLess(float(np.abs(together - alone).max()), 1e-5)

    def test_meaning_is_nearer_than_words(self):
        question, answer, other = self.model.embed(["How do I get a certificate for a course?",
                                                    "Certificates are issued when you finish a course and pass its test.",
                                                    "The canteen opens at nine in the morning."])
        self.assertGreater(float(question @ answer), float(question @ other) + 0.3)


class ServiceTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = embeddings.serve(embeddings.MiniLM.from_package(), "127.0.0.1", 0)
        cls.port = cls.server.server_address[1]
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def call(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        payload = json.loads(response.read())
        connection.close()
        return response.status, payload

    def test_health_names_the_model(self):
        status, health = self.call("GET", "/health")
        self.assertEqual(status, 200)
        self.assertEqual((health["model"], health["dimensions"], health["maxTexts"]), ("all-MiniLM-L6-v2", 384, 64))

    def test_embed_answers_one_unit_vector_a_text_in_order(self):
        texts = ["What is iGOT?", "The Mission's platform for civil servants.", "What is iGOT?"]
        status, answer = self.call("POST", "/embed", json.dumps({"texts": texts}), {"Content-Type": "application/json"})
        self.assertEqual(status, 200)
        vectors = [np.frombuffer(base64.b64decode(v), dtype="<f4") for v in answer["vectors"]]
        self.assertEqual([len(v) for v in vectors], [384, 384, 384])
        np.testing.assert_allclose([np.linalg.norm(v) for v in vectors], 1, atol=1e-5)
        np.testing.assert_array_equal(vectors[0], vectors[2])
        self.assertLess(float(vectors[0] @ vectors[1]), 0.999)

    def test_bad_bodies_are_refused_with_the_reason(self):
        cases = [
            (b"not json", 400, "not JSON"),
            (b'{"texts": ["a"], "more": 1}', 400, "nothing else"),
            (b'{"texts": "a"}', 400, "list of strings"),
            (b'{"texts": [1, 2]}', 400, "list of strings"),
            (json.dumps({"texts": ["a"] * 65}).encode(), 400, "at most 64"),
            (json.dumps({"texts": ["a" * 10_001]}).encode(), 400, "texts[0]"),
            (b"\xff\xfe", 400, "not JSON"),
        ]
        for body, status, reason in cases:
            got, payload = self.call("POST", "/embed", body)
            self.assertEqual(got, status, body[:40])
            self.assertIn(reason, payload["error"])
        got, payload = self.call("POST", "/embed", b"x" * (embeddings.MAX_BODY + 1))
        self.assertEqual(got, 413)
        self.assertEqual(self.call("GET", "/embed")[0], 404)
        self.assertEqual(self.call("POST", "/health", b"{}")[0], 404)
        # Still answering.
        self.assertEqual(self.call("GET", "/health")[0], 200)

    def test_it_listens_on_loopback_only(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "embeddings.py")
        refused = subprocess.run([sys.executable, script, "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("loopback only", refused.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
