"""The language-model policies (built-in GPT and a Hugging Face model) and the tokenizers.

The references are independent computations: the KV-cache path against one full forward
pass, a padded row against the same row unpadded, the built-in GPT against transformers'
own GPT-2 with the same weights. Hugging Face models and tokenizers are built from a config
inside the test (nothing is downloaded)."""

from __future__ import annotations

import io
import sys

import pytest
import torch
from agentctl.errors import UserError
from agentctl.nn.lm import TokenPolicy, build_lm
from agentctl.text.tokenizer import ByteTokenizer, load_tokenizer

SENTENCES = ["the movie was great", "the movie was bad, really bad", "héllo wörld, ünïcode ✓",
             "a plot with no surprises", "actors did well"] * 3


def positions(mask: torch.Tensor) -> torch.Tensor:
    """Real tokens count 0, 1, 2, ...; padding (left of them) sits at 0."""
    return (mask.cumsum(1) - 1).clamp(min=0)


def bpe(special: list[str], vocab_size: int = 300):
    """A byte-level BPE trained here on a few sentences."""
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(SENTENCES, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return tok


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory):
    """A tiny random GPT-2 (2 layers, 2 heads, width 32) and its tokenizer, saved to a folder.
    Dropout stays at GPT-2's 0.1, so a policy that let it run would fail the tests."""
    transformers = pytest.importorskip("transformers")
    tok = bpe(["<|endoftext|>"])
    eos = tok.token_to_id("<|endoftext|>")
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>",
                                         bos_token="<|endoftext|>").save_pretrained(folder)
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=2, n_head=2, n_embd=32, n_positions=64, vocab_size=tok.get_vocab_size(),
                                     bos_token_id=eos, eos_token_id=eos)
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    return folder


def make_policy(kind: str, hf_folder=None) -> TokenPolicy:
    torch.manual_seed(1)
    if kind == "gpt":
        return build_lm(None, None, n_layer=2, n_head=2, n_embd=32, context_length=32)
    return build_lm(None, None, hf_model=str(hf_folder))


@pytest.fixture(params=["gpt", "hf"])
def policy(request) -> TokenPolicy:
    if request.param == "hf":
        return make_policy("hf", request.getfixturevalue("hf_folder"))
    return make_policy("gpt")


def left_padded(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r)
        mask[i, width - len(r):] = 1
    return ids, mask


# ---- the policies ------------------------------------------------------------------------

@pytest.mark.parametrize("texts", [("the movie was", "bad", "actors did well, really"), ("abc", "def", "ghi")],
                         ids=["left-padded", "no-padding"])
@torch.no_grad()
def test_kv_cache_steps_match_one_full_forward(policy, texts):
    """Prompts (left-padded to one width when their lengths differ), then four tokens fed
    with the cache (one, two at once, one), give the logits and values of one pass over the
    whole sequences."""
    tok = policy.tokenizer
    prompts = [tok.encode(s) for s in texts]
    query, qmask = left_padded(prompts, tok.pad_id)
    steps = torch.randint(0, tok.vocab_size, (3, 4), generator=torch.Generator().manual_seed(0))

    logits, values, past = policy(query, qmask, positions(qmask))
    step_logits, step_values = [logits], [values]
    mask, last = qmask, positions(qmask)[:, -1:]
    for start, end in ((0, 1), (1, 3), (3, 4)):
        mask = torch.cat([mask, torch.ones(3, end - start, dtype=torch.long)], 1)
        pos = last + torch.arange(1, end - start + 1)
        logits, values, past = policy(steps[:, start:end], mask, pos, past)
        last = pos[:, -1:]
        step_logits.append(logits)
        step_values.append(values)
    cached_logits, cached_values = torch.cat(step_logits, 1), torch.cat(step_values, 1)

    full_logits, full_values, _ = policy(torch.cat([query, steps], 1), mask, positions(mask))
    real = mask.bool()
    assert cached_logits.shape == full_logits.shape and full_logits.shape[:2] == (3, query.shape[1] + 4)
    torch.testing.assert_close(cached_logits[real], full_logits[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(cached_values[real], full_values[real], atol=1e-5, rtol=1e-5)
    assert full_logits.isfinite().all() and full_values.isfinite().all()  # padded rows too
    assert cached_logits[real].std() > 0 and cached_values[real].std() > 0  # not all-constant


@torch.no_grad()
def test_a_rows_outputs_do_not_depend_on_its_padding(policy):
    tok = policy.tokenizer
    text = tok.encode("a plot with no surprises")
    alone, _, _ = policy(torch.tensor([text]), torch.ones(1, len(text), dtype=torch.long),
                         torch.arange(len(text))[None])
    for pad in (1, 5):
        ids, mask = left_padded([text, text[:2] + [0] * (len(text) + pad - 2)], tok.pad_id)
        padded, values, _ = policy(ids, mask, positions(mask))
        torch.testing.assert_close(padded[0, pad:], alone[0], atol=1e-5, rtol=1e-5)
        assert padded.isfinite().all() and values.isfinite().all()


def test_padding_keeps_gradients_finite_and_training_deterministic(policy):
    """A padded query row is all-masked but for itself: backward through it stays finite.
    No dropout runs in train mode (the HF model's config asks for 0.1), so two passes agree:
    the PPO ratio is exactly 1 before the first step."""
    policy.train()
    ids, mask = left_padded([[5, 6, 7, 8], [9]], policy.tokenizer.pad_id)
    logits, values, _ = policy(ids, mask, positions(mask))
    again, _, _ = policy(ids, mask, positions(mask))
    assert torch.equal(logits, again)
    (logits[mask.bool()].logsumexp(-1).sum() + values[mask.bool()].sum()).backward()
    grads = [p.grad for p in policy.parameters() if p.requires_grad]
    assert all(g is not None and g.isfinite().all() for g in grads)


def test_outputs_are_float32_under_autocast(policy):
    ids = torch.tensor([[1, 2, 3]])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, values, _ = policy(ids, torch.ones_like(ids), positions(torch.ones_like(ids)))
    assert logits.dtype == values.dtype == torch.float32


@pytest.mark.parametrize("kind", ["gpt", "hf"])
def test_state_dict_round_trip(kind, request):
    folder = request.getfixturevalue("hf_folder") if kind == "hf" else None
    a = make_policy(kind, folder)
    torch.manual_seed(99)
    b = make_policy(kind, folder) if kind == "gpt" else build_lm(None, None, hf_model=str(folder))
    with torch.no_grad():  # make b differ from a everywhere (the HF weights come from the same folder)
        for p in b.parameters():
            p.add_(torch.randn_like(p))
    ids = torch.tensor([[3, 4, 5, 6]])
    args = (ids, torch.ones_like(ids), positions(torch.ones_like(ids)))
    assert not torch.allclose(a(*args)[0], b(*args)[0])
    buffer = io.BytesIO()
    torch.save(a.state_dict(), buffer)
    buffer.seek(0)
    b.load_state_dict(torch.load(buffer))
    assert torch.equal(a(*args)[0], b(*args)[0]) and torch.equal(a(*args)[1], b(*args)[1])


def test_builtin_gpt_is_gpt2():
    """Same weights in transformers' GPT-2 give the same logits (tied embeddings, pre-LN,
    learned positions; its exact-GELU variant); left padding included."""
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    ours = build_lm(None, None, n_layer=2, n_head=4, n_embd=32, context_length=16)
    gpt = ours.network
    config = transformers.GPT2Config(n_layer=2, n_head=4, n_embd=32, n_positions=16, vocab_size=259,
                                     activation_function="gelu", bos_token_id=256, eos_token_id=257)
    ref = transformers.GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for p in ours.parameters():  # large weights, so a near miss (e.g. tanh GELU) shows
            p.normal_(0, 0.3)
        t = ref.transformer
        t.wte.weight.copy_(gpt.wte.weight)
        t.wpe.weight.copy_(gpt.wpe.weight)
        t.ln_f.load_state_dict(gpt.ln_f.state_dict())
        for ours_block, h in zip(gpt.blocks, t.h, strict=True):
            h.ln_1.load_state_dict(ours_block.ln_1.state_dict())
            h.ln_2.load_state_dict(ours_block.ln_2.state_dict())
            for conv, lin in ((h.attn.c_attn, ours_block.qkv), (h.attn.c_proj, ours_block.attn_proj),
                              (h.mlp.c_fc, ours_block.mlp_fc), (h.mlp.c_proj, ours_block.mlp_proj)):
                conv.weight.copy_(lin.weight.T)  # Conv1D stores [in, out]
                conv.bias.copy_(lin.bias)
        ids, mask = left_padded([[72, 105, 33, 200, 7], [5, 6]], 258)
        want = ref(input_ids=ids, attention_mask=mask, position_ids=positions(mask)).logits
        got, _, _ = ours(ids, mask, positions(mask))
    real = mask.bool()
    torch.testing.assert_close(got[real], want[real], atol=1e-5, rtol=1e-5)


def test_attention_mask_by_hand():
    """Two cached tokens (the first one padding) and two new ones: causal, the padded key
    hidden, and a padded query still sees itself. No padding: no mask at all."""
    from agentctl.nn.gpt import sdpa_mask

    mask, is_causal = sdpa_mask(torch.tensor([[0, 1, 1, 1], [0, 0, 0, 1]]), 2)
    want = torch.tensor([[[0, 1, 1, 0], [0, 1, 1, 1]],
                         [[0, 0, 1, 0], [0, 0, 0, 1]]], dtype=torch.bool)  # row 2's query 0 is padding
    assert not is_causal and torch.equal(mask, want[:, None])
    assert sdpa_mask(torch.ones(2, 5, dtype=torch.long), 5) == (None, True)  # plain causal
    assert sdpa_mask(torch.ones(2, 5, dtype=torch.long), 1) == (None, False)  # one new token sees all
    mask, _ = sdpa_mask(torch.ones(1, 5, dtype=torch.long), 2)  # cached and several new: explicit
    assert torch.equal(mask[0, 0], torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], dtype=torch.bool))


def test_kv_cache_appends_in_place_past_its_capacity():
    from agentctl.nn.gpt import KVCache

    cache = KVCache(capacity=3)
    parts = [torch.randn(2, 1, n, 4) for n in (2, 1, 2)]  # 5 tokens in all: past the capacity of 3
    for part in parts:
        k, v = cache.update(0, part, -part)
        cache.length += part.shape[2]
    torch.testing.assert_close(k, torch.cat(parts, 2), rtol=0, atol=0)
    torch.testing.assert_close(v, -torch.cat(parts, 2), rtol=0, atol=0)


def test_gpt_init_is_gpt2_style():
    torch.manual_seed(0)
    gpt = build_lm(None, None, n_layer=8, n_head=4, n_embd=128).network
    assert gpt.wte.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert gpt.blocks[0].mlp_proj.weight.std().item() == pytest.approx(0.02 / 4, rel=0.05)  # 1/sqrt(2*8)
    assert gpt.blocks[0].qkv.weight.std().item() == pytest.approx(0.02, rel=0.05)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_embd": 130, "n_head": 4}, "n_embd (130) must be a multiple of n_head (4)"),
    ({"context_length": 1}, "context_length must be an integer >= 2"),
    ({"n_layer": 0}, "n_layer must be an integer >= 1"),
    ({"n_head": True}, "n_head must be an integer >= 1"),
    ({"tokenizer": "no/such/tokenizer.json"}, "no such file"),
])
def test_bad_gpt_kwargs_are_user_errors(kwargs, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        build_lm(None, None, **kwargs)
    assert "\n" not in str(info.value)


def test_lm_is_a_registered_policy():
    from agentctl.host import PluginHost

    host = PluginHost()
    assert host.registry.resolve("policy", "lm").load() is build_lm


# ---- Hugging Face errors -----------------------------------------------------------------

def test_bad_hf_models_are_user_errors(tmp_path, hf_folder, monkeypatch):
    cases = [
        ({"hf_model": str(tmp_path / "nowhere")}, "no such folder"),
        ({"hf_model": str(tmp_path)}, "not a transformers model folder"),
        ({"hf_model": str(hf_folder), "n_layer": 2}, "n_layer set together with hf_model"),
        ({"hf_model": str(hf_folder), "context_length": 65}, "exceeds hf_model's maximum of 64"),
    ]
    (tmp_path / "config.json").exists() and pytest.fail("tmp_path must start empty")
    for kwargs, message in cases:
        with pytest.raises(UserError, match=message) as info:
            build_lm(None, None, **kwargs)
        assert "\n" not in str(info.value)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(UserError, match="no tokenizer in the folder"):
        build_lm(None, None, hf_model=str(tmp_path))
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(UserError, match="cannot load a causal language model"):
        build_lm(None, None, hf_model=str(tmp_path))
    monkeypatch.setitem(sys.modules, "transformers", None)  # as if not installed
    with pytest.raises(UserError, match=r'needs transformers: pip install "agentctl\[hf\]"'):
        build_lm(None, None, hf_model=str(hf_folder))


@torch.no_grad()
def test_hf_policy_is_the_model_plus_a_value_head(hf_folder):
    """Logits are the model's own; values the value head on its final (normed) hidden state."""
    policy = make_policy("hf", hf_folder)
    model = policy.network.model
    ids, mask = left_padded([[5, 6, 7, 8], [9, 10]], policy.tokenizer.pad_id)
    logits, values, _ = policy(ids, mask, positions(mask))
    hidden = model.transformer(input_ids=ids, attention_mask=mask, position_ids=positions(mask)).last_hidden_state
    real = mask.bool()
    torch.testing.assert_close(logits[real], model.lm_head(hidden)[real])
    torch.testing.assert_close(values[real], policy.value_head(hidden).squeeze(-1)[real])


def test_hf_policy_uses_the_folders_tokenizer_and_length(hf_folder):
    policy = make_policy("hf", hf_folder)
    tok = policy.tokenizer
    assert policy.context_length == 64
    assert tok.eos_id == tok.pad_id == tok.bos_id  # GPT-2's <|endoftext|> serves for all three
    assert tok.decode([tok.bos_id, *tok.encode("the movie was great"), tok.eos_id]) == "the movie was great"
    assert len(tok.encode("the movie was great")) < len("the movie was great")  # merges learned
    assert build_lm(None, None, hf_model=str(hf_folder), context_length=20).context_length == 20


# ---- tokenizers --------------------------------------------------------------------------

def test_byte_tokenizer_round_trips_and_drops_specials():
    tok = load_tokenizer("bytes")
    assert isinstance(tok, ByteTokenizer) and tok.vocab_size == 259
    text = "héllo wörld ✓ 🙂\n"
    ids = tok.encode(text)
    assert ids == list(text.encode("utf-8")) and len(ids) > len(text)
    assert tok.decode(ids) == text
    assert tok.decode([tok.bos_id, *ids, tok.eos_id, tok.pad_id, tok.pad_id]) == text
    assert tok.decode(tok.encode("é")[:1]) == "\ufffd"  # cut mid-character: replaced, no error
    assert len({tok.bos_id, tok.eos_id, tok.pad_id}) == 3 and max(tok.bos_id, tok.eos_id, tok.pad_id) < 259


def test_load_tokenizer_reads_a_tokenizers_json(tmp_path):
    raw = bpe(["<|endoftext|>", "<pad>"])
    raw.save(str(tmp_path / "tokenizer.json"))
    for spec in (str(tmp_path / "tokenizer.json"), str(tmp_path)):
        tok = load_tokenizer(spec)
        assert (tok.eos_id, tok.pad_id, tok.bos_id) == (raw.token_to_id("<|endoftext|>"), raw.token_to_id("<pad>"), None)
        assert tok.vocab_size == raw.get_vocab_size()
        ids = tok.encode("héllo wörld, the movie")
        assert ids == raw.encode("héllo wörld, the movie", add_special_tokens=False).ids
        assert tok.decode([*ids, tok.eos_id, tok.pad_id]) == "héllo wörld, the movie"
    policy = build_lm(None, None, tokenizer=str(tmp_path / "tokenizer.json"), n_layer=1, n_embd=16, n_head=2)
    assert policy.network.wte.num_embeddings == raw.get_vocab_size()


def test_tokenizer_without_eos_or_pad_token(tmp_path):
    bpe(["<unk>"]).save(str(tmp_path / "no_eos.json"))
    with pytest.raises(UserError, match=r"no_eos.json: no end-of-sequence special token"):
        load_tokenizer(str(tmp_path / "no_eos.json"))
    bpe(["</s>"]).save(str(tmp_path / "eos_only.json"))
    tok = load_tokenizer(str(tmp_path / "eos_only.json"))
    assert tok.pad_id == tok.eos_id == 0


@pytest.mark.parametrize("spec, message", [
    ("", "tokenizer must be 'bytes' or the path to a tokenizer.json"),
    ("byte", "tokenizer 'byte': no such file; use 'bytes'"),
    ("not-json", "not a tokenizers tokenizer.json"),
])
def test_bad_tokenizer_specs_are_user_errors(spec, message, tmp_path, monkeypatch):
    pytest.importorskip("tokenizers")
    if spec == "not-json":
        (tmp_path / "tokenizer.json").write_text("this is not json")
        spec = str(tmp_path / "tokenizer.json")
    with pytest.raises(UserError, match=message) as info:
        load_tokenizer(spec)
    assert "\n" not in str(info.value)


def test_tokenizer_file_without_the_library(tmp_path, monkeypatch):
    (tmp_path / "tokenizer.json").write_text("{}")
    monkeypatch.setitem(sys.modules, "tokenizers", None)  # as if not installed
    with pytest.raises(UserError, match=r'needs the tokenizers library: pip install "agentctl\[hf\]"'):
        load_tokenizer(str(tmp_path / "tokenizer.json"))
