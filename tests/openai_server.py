"""A small real OpenAI-compatible server over a local model, for backend tests: /v1/chat/completions (greedy, via
traitrl's own generation path, one conversation per request) and /v1/completions with echo + prompt logprobs (a
plain fp32 forward over the whole prompt). `logprobs=False` makes /completions answer 400, like an endpoint that
has no prompt log-probs."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler

from loopback import LoopbackServer


class ModelServer(LoopbackServer):
    def __init__(self, model, tokenizer, served_name: str = "test", logprobs: bool = True) -> None:
        self.model, self.tokenizer, self.served_name, self.logprobs = model, tokenizer, served_name, logprobs
        self.lock = threading.Lock()  # one forward at a time: the model is shared
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.paths.append(self.path)
                if body.get("model") != server.served_name:
                    return self._send(404, {"error": f"model {body.get('model')!r} not served"})
                if self.path == "/v1/chat/completions":
                    return self._send(200, server.chat(body))
                if self.path == "/v1/completions" and server.logprobs:
                    return self._send(200, server.completion(body))
                return self._send(400, {"error": "echo with logprobs is not supported"})

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler, "/v1")

    def chat(self, body: dict) -> dict:
        from traitrl.models.generate import generate_responses

        assert body.get("temperature", 1.0) == 0.0, "benchmarks ask for greedy replies"
        with self.lock:
            [text] = generate_responses(self.model, self.tokenizer, [body["messages"]], body["max_tokens"], 1)
        return {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}

    def completion(self, body: dict) -> dict:
        import torch

        assert body["echo"] and body["logprobs"] and body["max_tokens"] == 1
        prompt = body["prompt"]
        enc = self.tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"], enc["offset_mapping"]
        with self.lock, torch.inference_mode():
            logits = self.model(torch.tensor([ids])).logits[0].float().log_softmax(-1)
        values = [None] + [logits[i - 1, ids[i]].item() for i in range(1, len(ids))]
        nxt = int(logits[-1].argmax())
        tokens = [prompt[a:b] for a, b in offsets] + [self.tokenizer.decode([nxt])]
        return {"choices": [{"index": 0, "text": prompt + tokens[-1], "logprobs": {
            "tokens": tokens, "text_offset": [a for a, _ in offsets] + [len(prompt)],
            "token_logprobs": values + [logits[-1, nxt].item()]}}]}
