"""The tiny models that tools/make_tiny_models.py builds: one Variant per architecture feature
Turbine must get right, with its shape, RoPE, on-disk dtype and what it is for.

Pure Python (no torch), so that --dry-run can check the table anywhere. Sizes are kept small
because the models are committed under tests/golden/models/.
"""

from __future__ import annotations

import dataclasses
import random
import zlib

GOLDEN_STEPS = 32
PROMPT_LENGTHS = (1, 7, 23)
TOP_LOGPROBS = 5
BOS_ID = 1
EOS_ID = 2
MAX_TOTAL_MODEL_BYTES = 12_000_000  # the tree gets committed: keep it a few MB

DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}


@dataclasses.dataclass
class Variant:
    name: str
    model_class: str  # transformers class
    config_class: str
    dtype: str  # on disk: bfloat16 | float16 | float32
    shape: dict  # config kwargs except RoPE
    rope_theta: float
    rope_scaling: dict | None = None  # legacy rope_scaling dict, rope_type included
    max_shard_size: str | None = None
    cache_sensitive: bool = False  # cached generation may legitimately differ from a full forward
    notes: str = ""
    # transformers 5's rope_parameters as given (e.g. keyed by layer type), used instead of
    # rope_theta + rope_scaling when the config class takes rope_parameters.
    rope_parameters: dict | None = None
    # Where reinitialised norm weights centre: 1 for x * w norms, 0 for Gemma's x * (1 + w).
    norm_center: float = 1.0

    @property
    def tied(self) -> bool:
        return bool(self.shape.get("tie_word_embeddings", False))


def decoder_shape(hidden: int, heads: int, kv_heads: int, intermediate: int, layers: int,
                  vocab: int, **extra) -> dict:
    shape = {
        "hidden_size": hidden, "num_attention_heads": heads, "num_key_value_heads": kv_heads,
        "intermediate_size": intermediate, "num_hidden_layers": layers, "vocab_size": vocab,
        "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "hidden_act": "silu",
        "tie_word_embeddings": False, "bos_token_id": BOS_ID, "eos_token_id": EOS_ID,
    }
    shape.update(extra)
    return shape


LLAMA3_ROPE = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 64}

VARIANTS = [
    Variant("llama2_mha", "LlamaForCausalLM", "LlamaConfig", "bfloat16",
            decoder_shape(64, 4, 4, 172, 2, 320), 10000.0,
            notes="Llama 2 style: MHA (kv heads == heads), untied, default RoPE."),
    Variant("llama3_gqa", "LlamaForCausalLM", "LlamaConfig", "bfloat16",
            decoder_shape(128, 8, 2, 344, 2, 512, max_position_embeddings=512), 500000.0,
            dict(LLAMA3_ROPE),
            notes="Llama 3.1 style: GQA 4:1, llama3 RoPE scaling."),
    Variant("llama32_tied", "LlamaForCausalLM", "LlamaConfig", "float16",
            decoder_shape(128, 4, 2, 256, 2, 640, max_position_embeddings=512,
                          tie_word_embeddings=True), 500000.0,
            dict(LLAMA3_ROPE, factor=32.0),
            notes="Llama 3.2 style: tied embeddings (no lm_head tensor expected), head_dim 32, "
                  "llama3 RoPE factor 32, F16 weights."),
    Variant("llama_linear_rope", "LlamaForCausalLM", "LlamaConfig", "float32",
            decoder_shape(64, 2, 1, 128, 3, 300), 10000.0,
            {"rope_type": "linear", "factor": 2.0},
            notes="Linear RoPE scaling (positions / 2), head_dim 32, 3 layers, F32 weights."),
    Variant("llama_dynamic_rope", "LlamaForCausalLM", "LlamaConfig", "bfloat16",
            decoder_shape(64, 4, 2, 160, 2, 384, max_position_embeddings=24), 10000.0,
            {"rope_type": "dynamic", "factor": 2.0}, cache_sensitive=True,
            notes="Dynamic NTK RoPE with max_position_embeddings 24, so the 23-token prompt "
                  "plus 32 steps goes past it. transformers recomputes inv_freq from the "
                  "current length at each decode step past 24 and rotates only the new token's "
                  "q/k with it (cached keys keep the rotation they were written with); so the "
                  "cached-generation goldens differ from a single full forward past position 24 "
                  "(see full_forward_max_abs_diff). Position < 24: plain RoPE."),
    Variant("llama_yarn_rope", "LlamaForCausalLM", "LlamaConfig", "bfloat16",
            decoder_shape(64, 4, 4, 192, 2, 400, max_position_embeddings=128), 10000.0,
            {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32},
            notes="YaRN RoPE: factor 4 = 128 / 32, default beta_fast 32 / beta_slow 1, "
                  "attention factor 0.1 ln(4) + 1 on cos/sin."),
    Variant("llama_attn_bias", "LlamaForCausalLM", "LlamaConfig", "bfloat16",
            decoder_shape(96, 6, 2, 200, 2, 352, attention_bias=True, mlp_bias=True), 10000.0,
            notes="Llama with attention_bias (q/k/v/o biases) and mlp_bias (gate/up/down)."),
    Variant("mistral_mqa", "MistralForCausalLM", "MistralConfig", "bfloat16",
            decoder_shape(64, 4, 1, 176, 2, 360, sliding_window=16), 10000.0,
            notes="Mistral with MQA (1 kv head) and sliding_window 16, which generation passes: "
                  "a token at position p attends to positions [p - 15, p]."),
    Variant("qwen2_bias", "Qwen2ForCausalLM", "Qwen2Config", "bfloat16",
            decoder_shape(64, 4, 2, 192, 2, 1000, rms_norm_eps=1e-6, tie_word_embeddings=True,
                          use_sliding_window=False), 1000000.0,
            notes="Qwen2: q/k/v biases, no o bias, tied embeddings."),
    Variant("qwen3_qknorm", "Qwen3ForCausalLM", "Qwen3Config", "bfloat16",
            decoder_shape(64, 4, 2, 160, 2, 448, head_dim=32, rms_norm_eps=1e-6,
                          use_sliding_window=False), 1000000.0,
            notes="Qwen3: per-head RMSNorm on q and k before RoPE, head_dim 32 independent of "
                  "hidden 64 / 4 heads (q_proj is 64 -> 128), GQA 2:1, untied."),
    Variant("gemma2_softcap", "Gemma2ForCausalLM", "Gemma2Config", "bfloat16",
            decoder_shape(64, 4, 2, 160, 4, 512, head_dim=16, rms_norm_eps=1e-6, tie_word_embeddings=True,
                          hidden_act="gelu_pytorch_tanh", hidden_activation="gelu_pytorch_tanh",
                          query_pre_attn_scalar=24, attn_logit_softcapping=8.0, final_logit_softcapping=10.0,
                          sliding_window=16), 10000.0, norm_center=0.0,
            notes="Gemma 2: sandwich norms (1 + w), GeGLU (tanh), embeddings x sqrt(64), scale "
                  "24^-0.5, attention and final soft-caps, even layers sliding (window 16), tied."),
    Variant("gemma3_text", "Gemma3ForCausalLM", "Gemma3TextConfig", "bfloat16",
            decoder_shape(64, 4, 2, 160, 6, 512, head_dim=16, rms_norm_eps=1e-6, tie_word_embeddings=True,
                          hidden_act="gelu_pytorch_tanh", hidden_activation="gelu_pytorch_tanh",
                          query_pre_attn_scalar=16, sliding_window=16, rope_local_base_freq=100.0,
                          layer_types=["sliding_attention", "sliding_attention", "full_attention",
                                       "sliding_attention", "sliding_attention", "full_attention"]),
            10000.0, rope_scaling={"rope_type": "linear", "factor": 2.0}, norm_center=0.0,
            rope_parameters={"full_attention": {"rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0},
                             "sliding_attention": {"rope_type": "default", "rope_theta": 100.0}},
            notes="Gemma 3 text: q/k norms (1 + w), local layers RoPE base 100, global layers "
                  "base 10000 with linear x2, 2 of 6 layers global, window 16."),
    Variant("mixtral_moe", "MixtralForCausalLM", "MixtralConfig", "bfloat16",
            decoder_shape(64, 4, 2, 96, 2, 512, num_local_experts=4, num_experts_per_tok=2,
                          sliding_window=None), 10000.0,
            notes="Mixtral: every MLP a mixture of 4 SwiGLU experts, top 2, renormalised."),
    Variant("qwen2_moe_shared", "Qwen2MoeForCausalLM", "Qwen2MoeConfig", "bfloat16",
            decoder_shape(64, 4, 2, 128, 3, 512, num_experts=6, num_experts_per_tok=2, moe_intermediate_size=48,
                          shared_expert_intermediate_size=96, norm_topk_prob=False, decoder_sparse_step=1,
                          mlp_only_layers=[1], use_sliding_window=False), 1000000.0,
            notes="Qwen2-MoE: 6 experts top 2 (weights not renormalised), a sigmoid-gated shared "
                  "expert, layer 1 dense (mlp_only_layers), q/k/v biases."),
    Variant("qwen3_moe", "Qwen3MoeForCausalLM", "Qwen3MoeConfig", "bfloat16",
            decoder_shape(64, 4, 2, 128, 2, 512, head_dim=32, num_experts=8, num_experts_per_tok=2,
                          moe_intermediate_size=40, norm_topk_prob=True, decoder_sparse_step=1,
                          mlp_only_layers=[], use_sliding_window=False, rms_norm_eps=1e-6), 1000000.0,
            notes="Qwen3-MoE: q/k norms, 8 experts top 2 renormalised."),
    Variant("gpt_neox_partial_rope", "GPTNeoXForCausalLM", "GPTNeoXConfig", "float16",
            {"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 4, "intermediate_size": 192,
             "num_hidden_layers": 2, "vocab_size": 512, "max_position_embeddings": 256, "hidden_act": "gelu",
             "rotary_pct": 0.25, "layer_norm_eps": 1e-5, "use_parallel_residual": True,
             "tie_word_embeddings": False, "bos_token_id": BOS_ID, "eos_token_id": EOS_ID}, 10000.0,
            notes="GPT-NeoX (Pythia): LayerNorm with biases, fused per-head q/k/v, rotary on a "
                  "quarter of each head, parallel residual, exact-GELU MLP, float16 on disk."),
    Variant("falcon_new_arch", "FalconForCausalLM", "FalconConfig", "bfloat16",
            {"hidden_size": 64, "num_attention_heads": 4, "num_kv_heads": 2, "num_hidden_layers": 2,
             "vocab_size": 512, "max_position_embeddings": 256, "new_decoder_architecture": True,
             "parallel_attn": True, "bias": False, "alibi": False, "layer_norm_epsilon": 1e-5,
             "ffn_hidden_size": 160, "tie_word_embeddings": True, "bos_token_id": BOS_ID,
             "eos_token_id": EOS_ID}, 10000.0,
            notes="Falcon 40B style: ln_attn and ln_mlp, q/k/v fused by kv group, tied head."),
    Variant("phi3_longrope", "Phi3ForCausalLM", "Phi3Config", "bfloat16",
            decoder_shape(64, 4, 2, 160, 2, 512, partial_rotary_factor=0.5, original_max_position_embeddings=256,
                          sliding_window=None), 10000.0,
            rope_scaling={"rope_type": "longrope", "short_factor": [1.0, 1.3, 1.9, 2.6],
                          "long_factor": [1.5, 3.0, 6.0, 12.0]},
            notes="Phi-3: fused qkv_proj and gate_up_proj, rotary on half of each head, LongRoPE "
                  "(original length = max_position_embeddings, so transformers and Turbine both use "
                  "the short factors; the long ones are checked by tests/unit/model/phi3_test)."),
    Variant("llama_sharded", "LlamaForCausalLM", "LlamaConfig", "bfloat16",
            decoder_shape(128, 4, 4, 320, 3, 512), 10000.0, max_shard_size="300KB",
            notes="A Llama saved in several shards with model.safetensors.index.json."),
]


# ---------------------------------------------------------------------------------------------
# Derived facts, checked by --dry-run


def head_dim(v: Variant) -> int:
    return v.shape.get("head_dim") or v.shape["hidden_size"] // v.shape["num_attention_heads"]


def parameter_count(v: Variant) -> int:
    s = v.shape
    h, heads = s["hidden_size"], s["num_attention_heads"]
    kv = s.get("num_key_value_heads", s.get("num_kv_heads", heads))
    inter, vocab, hd = s.get("intermediate_size", s.get("ffn_hidden_size", 4 * h)), s["vocab_size"], head_dim(v)
    experts = s.get("num_experts", s.get("num_local_experts", 0))
    mlp = 3 * h * inter
    if experts:  # every layer counted as MoE: an upper bound
        n = s.get("moe_intermediate_size", inter)
        mlp = experts * 3 * h * n + experts * h + 3 * h * s.get("shared_expert_intermediate_size", 0)
    layer = h * heads * hd + 2 * h * kv * hd + heads * hd * h + mlp + 2 * h
    if v.model_class == "Qwen2ForCausalLM":
        layer += heads * hd + 2 * kv * hd
    if s.get("attention_bias"):
        layer += heads * hd + 2 * kv * hd + h
    if s.get("mlp_bias"):
        layer += 2 * inter + h
    if v.model_class in ("Qwen3ForCausalLM", "Gemma3ForCausalLM"):
        layer += 2 * hd
    if v.model_class.startswith("Gemma"):
        layer += 2 * h  # the sandwich's two extra norms
    total = vocab * h + s["num_hidden_layers"] * layer + h
    return total if v.tied else total + vocab * h


def check_variant(v: Variant, steps: int) -> list[str]:
    """Problems with a variant's spec (empty when it makes sense)."""
    s = v.shape
    problems = []
    if s["num_attention_heads"] % s.get("num_key_value_heads", s.get("num_kv_heads", 1)):
        problems.append("heads not a multiple of kv heads")
    if head_dim(v) % 2:
        problems.append("odd head_dim (RoPE needs pairs)")
    if v.dtype not in DTYPE_BYTES:
        problems.append(f"unknown dtype {v.dtype}")
    longest = max(PROMPT_LENGTHS) + steps
    rope_type = (v.rope_scaling or {}).get("rope_type", "default")
    if rope_type == "dynamic" and longest <= s["max_position_embeddings"]:
        problems.append("dynamic RoPE never goes past max_position_embeddings")
    if rope_type == "yarn":
        ratio = s["max_position_embeddings"] / v.rope_scaling["original_max_position_embeddings"]
        if ratio != v.rope_scaling["factor"]:
            problems.append("yarn factor != max_position_embeddings / original")
    if s.get("sliding_window") and longest <= s["sliding_window"]:
        problems.append("generation never passes the sliding window")
    if s["vocab_size"] <= max(BOS_ID, EOS_ID) + 1:
        problems.append("vocab too small")
    if v.tied and v.model_class not in ("LlamaForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM",
                                        "MistralForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM",
                                        "FalconForCausalLM"):
        problems.append("unexpected tied class")
    return problems


def make_prompts(v: Variant) -> list[list[int]]:
    """BOS then pseudo-random ids, deterministic per variant name."""
    rng = random.Random(zlib.crc32(v.name.encode()))
    vocab = v.shape["vocab_size"]
    return [[BOS_ID] + [rng.randrange(3, vocab) for _ in range(n - 1)] for n in PROMPT_LENGTHS]
