"""A tiny GGUF whose next-token distribution is known exactly, whatever the prompt: answers can be checked.

One llama layer with every weight of the block at zero adds nothing to the residual stream, so the last
position's hidden state is its token embedding. Every token embeds to the same vector of ones, which the
final RMS norm (weights one) leaves as ones, so the logits are the row sums of the output matrix: row `t`
holds logits[t] / n_embd in every column. Values that are multiples of 1/32 are exact in float32.
Vocabulary: byte-level SentencePiece (<unk>, <s>, </s> and one token per byte), as in test_llamacpp.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

N_EMBD = 32
BYTE_BASE = 3  # token id of byte 0x00
TEMPLATE = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}assistant: {% endif %}")


def byte_token(char: str) -> int:
    return BYTE_BASE + ord(char)


def build_known_gguf(path: Path, logits: dict[str, float], rest: float = -10.0) -> Path:
    """Next-token logits: `logits[c]` for the byte token of character `c`, `rest` for every other token."""
    gguf = pytest.importorskip("gguf")
    n_ff, n_head, n_head_kv = 64, 2, 1
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    row_logits = np.full(len(tokens), rest, np.float32)
    for char, value in logits.items():
        row_logits[byte_token(char)] = value
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-known-llama")
    writer.add_context_length(2048)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(1)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(N_EMBD // n_head)
    writer.add_file_type(0)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_types([2, 3, 3] + [6] * 256)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_chat_template(TEMPLATE)

    def zeros(name: str, *shape: int) -> None:
        writer.add_tensor(name, np.zeros(shape, np.float32))

    head = N_EMBD // n_head
    writer.add_tensor("token_embd.weight", np.ones((len(tokens), N_EMBD), np.float32))
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, np.float32))
    writer.add_tensor("output.weight", np.repeat(row_logits[:, None] / N_EMBD, N_EMBD, axis=1))
    writer.add_tensor("blk.0.attn_norm.weight", np.ones(N_EMBD, np.float32))
    zeros("blk.0.attn_q.weight", N_EMBD, N_EMBD)
    zeros("blk.0.attn_k.weight", head * n_head_kv, N_EMBD)
    zeros("blk.0.attn_v.weight", head * n_head_kv, N_EMBD)
    zeros("blk.0.attn_output.weight", N_EMBD, N_EMBD)
    writer.add_tensor("blk.0.ffn_norm.weight", np.ones(N_EMBD, np.float32))
    zeros("blk.0.ffn_gate.weight", n_ff, N_EMBD)
    zeros("blk.0.ffn_down.weight", N_EMBD, n_ff)
    zeros("blk.0.ffn_up.weight", n_ff, N_EMBD)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def log_softmax(logits: dict[str, float], rest: float = -10.0, vocabulary: int = 259) -> dict[str, float]:
    """The exact log-probabilities the known model gives the characters of `logits`."""
    total = sum(math.exp(v) for v in logits.values()) + (vocabulary - len(logits)) * math.exp(rest)
    return {char: value - math.log(total) for char, value in logits.items()}
