"""Text rewards (agentctl.text.rewards) and reward specs (agentctl.text.scoring).

Every value is checked against an independent reference: vaderSentiment's own analyzer, hand
computation, or a tiny classifier's logits run one text at a time. Each error path must be a
UserError that names the reward, never a silent 0.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from agentctl.errors import UserError
from agentctl.host import PluginHost
from agentctl.text import rewards
from agentctl.text.scoring import Term, build_scorer, parse_spec

POSITIVE = ["I love this movie, it is wonderful and great!", "What a beautiful, happy day."]
NEGATIVE = ["This is terrible, I hate it.", "An awful, boring and sad waste of time."]


@pytest.fixture
def registry():
    """The built-in plugin's registry (sentiment, keyword, length, classifier) plus test rewards
    registered by a plugin called ``t``."""
    return PluginHost().registry


def register(registry, name, factory):
    registry.registrar("reward", "t", [])(name, factory)


# -- built-in rewards ----------------------------------------------------------------------------
def test_sentiment_is_vader_compound():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts = [*POSITIVE, *NEGATIVE, "", "the movie was", "not bad at all :)"]
    reference = SentimentIntensityAnalyzer()
    got = rewards.sentiment(None)(["prompt"] * len(texts), texts)
    assert got == [reference.polarity_scores(t)["compound"] for t in texts]
    assert all(v > 0.5 for v in got[:2]) and all(v < -0.5 for v in got[2:4])
    assert got[4] == 0.0


def test_keyword_fraction_of_whole_words_any_case():
    fn = rewards.keyword("great|Good|c++| great ")  # repeated and padded words count once
    responses = ["This is GREAT and good", "greatness is not good.", "I like c++ a lot", "", "Good? great! c++"]
    assert fn([""] * 5, responses) == [2 / 3, 1 / 3, 1 / 3, 0.0, 1.0]


@pytest.mark.parametrize("arg", [None, "", "|", " | "])
def test_keyword_without_words_says_how_to_pass_them(arg):
    with pytest.raises(UserError, match=r"'keyword'.*keyword:great\|good"):
        rewards.keyword(arg)


def test_length_closeness_clipped():
    responses = ["", "abcde", "a" * 10, "a" * 15, "a" * 20, "a" * 45]
    assert rewards.length("10")([""] * 6, responses) == [0.0, 0.5, 1.0, 0.5, 0.0, -1.0]
    assert rewards.length(None)([""], ["x" * 40]) == [1 - 8 / 32]  # default N = 32


@pytest.mark.parametrize("arg", ["abc", "0", "-3", "2.5"])
def test_length_rejects_a_bad_target(arg):
    with pytest.raises(UserError, match=r"'length'.*positive"):
        rewards.length(arg)


def test_sentiment_takes_no_argument():
    with pytest.raises(UserError, match="'sentiment' takes no argument"):
        rewards.sentiment("x")


# -- reward specs ----------------------------------------------------------------------------------
def test_parse_weighted_sum():
    assert parse_spec("sentiment+0.1*length:24") == [Term(1.0, "sentiment", None), Term(0.1, "length", "24")]
    assert parse_spec(" 2 * keyword:a|b + -0.5*length + python:m.x:f") == [
        Term(2.0, "keyword", "a|b"), Term(-0.5, "length", None), Term(1.0, "python", "m.x:f")]
    assert parse_spec("t/sentiment")[0].label == "t/sentiment"


@pytest.mark.parametrize("spec", ["", "  ", "0.1*", "+", "sentiment+", "*length", "abc*length",
                                  "nan*length", "inf*length", "sentiment+sentiment", "2*3*length"])
def test_malformed_specs(registry, spec):
    with pytest.raises(UserError, match="reward spec"):
        build_scorer(registry, spec)


def test_scorer_weighted_sum_and_parts(registry):
    prompts = ["p"] * 3
    responses = ["good", "a good great day", "bad"]
    scorer = build_scorer(registry, "keyword:good|great + 0.5*length:4 + -2*sentiment")
    parts = scorer.parts(prompts, responses)
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = [SentimentIntensityAnalyzer().polarity_scores(r)["compound"] for r in responses]
    assert list(parts) == ["keyword:good|great", "length:4", "sentiment"]
    np.testing.assert_array_equal(parts["keyword:good|great"], [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(parts["length:4"], [1.0, -1.0, 0.75])
    expected = [k + 0.5 * n - 2 * v for k, n, v in zip([0.5, 1.0, 0.0], [1.0, -1.0, 0.75], vader)]
    np.testing.assert_allclose(scorer(prompts, responses), expected, rtol=0, atol=1e-12)


def test_scorer_calls_each_reward_once_with_lists(registry):
    calls = []

    def factory(arg):
        def fn(prompts, responses):
            calls.append((arg, prompts, responses))
            return [float(len(p)) for p in prompts]
        return fn

    register(registry, "plen", factory)
    scorer = build_scorer(registry, "3*plen:x")
    out = scorer(("ab", "abcd"), ("r1", "r2"))  # tuples in, lists to the reward
    np.testing.assert_array_equal(out, [6.0, 12.0])
    assert calls == [("x", ["ab", "abcd"], ["r1", "r2"])]


# -- python:MODULE:FUNCTION ------------------------------------------------------------------------
@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """A module ``user_rewards_<n>`` on sys.path with a few reward functions."""
    name = f"user_rewards_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        "def exclaim(prompts, responses):\n"
        "    return [r.count('!') for r in responses]\n"
        "def crash(prompts, responses):\n"
        "    raise ZeroDivisionError('division by zero\\nsecond line')\n"
        "def short(prompts, responses):\n"
        "    return [1.0] * (len(responses) - 1)\n"
        "def scalar(prompts, responses):\n"
        "    return 0.5\n"
        "def nan_at_3(prompts, responses):\n"
        "    return [float('nan') if i == 3 else 0.0 for i in range(len(responses))]\n"
        "def inf_at_1(prompts, responses):\n"
        "    return [0.0, float('-inf')]\n"
        "def words(prompts, responses):\n"
        "    return ['a'] * len(responses)\n"
        "NOT_A_FUNCTION = 3\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_python_reward_is_called_directly(registry, user_module):
    scorer = build_scorer(registry, f"sentiment+0.5*python:{user_module}:exclaim")
    responses = ["wow!!", "meh"]
    parts = scorer.parts(["", ""], responses)
    np.testing.assert_array_equal(parts[f"python:{user_module}:exclaim"], [2.0, 0.0])
    np.testing.assert_allclose(scorer(["", ""], responses), parts["sentiment"] + [1.0, 0.0])


@pytest.mark.parametrize("target, message", [
    ("no_such_module_xyz:f", r"cannot import module 'no_such_module_xyz' \(ModuleNotFoundError"),
    ("{m}:missing", r"module '{m}' has no function 'missing'"),
    ("{m}:NOT_A_FUNCTION", r"is a int, not a function"),
    ("{m}", r"write python:MODULE:FUNCTION"),
    ("", r"write python:MODULE:FUNCTION"),
])
def test_python_reward_resolution_errors(registry, user_module, target, message):
    target = target.format(m=user_module)
    with pytest.raises(UserError, match=message.format(m=user_module)) as info:
        build_scorer(registry, f"python:{target}" if target else "python")
    assert "reward 'python" in str(info.value)


# -- errors while scoring --------------------------------------------------------------------------
def test_unknown_reward_lists_the_registered_ones(registry):
    with pytest.raises(UserError, match="unknown reward 'sentimnt'") as info:
        build_scorer(registry, "sentimnt")
    message = str(info.value)
    assert "Did you mean: sentiment" in message
    listing = message.split("Registered rewards: ")[1]
    assert all(name in listing for name in ("classifier", "keyword", "length", "sentiment"))
    assert "python:MODULE:FUNCTION" in message


def test_a_crashing_reward_is_named_and_chained(registry, user_module):
    scorer = build_scorer(registry, f"length+python:{user_module}:crash")
    with pytest.raises(UserError) as info:
        scorer(["p"], ["r"])
    assert str(info.value) == f"reward 'python:{user_module}:crash' failed: ZeroDivisionError: division by zero"
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_a_crashing_registered_reward_and_factory(registry):
    def boom(prompts, responses):
        raise KeyError("token")

    register(registry, "boom", lambda arg: boom)
    register(registry, "badfactory", lambda arg: 1 / 0)
    register(registry, "notfactory", lambda arg: 42)
    with pytest.raises(UserError, match=r"^reward 'boom' failed: KeyError: 'token'$"):
        build_scorer(registry, "boom")(["p"], ["r"])
    with pytest.raises(UserError, match=r"reward 'badfactory:x' could not be built: ZeroDivisionError"):
        build_scorer(registry, "badfactory:x")
    with pytest.raises(UserError, match=r"reward 'notfactory' \(t/notfactory\) is not a reward factory"):
        build_scorer(registry, "notfactory")


@pytest.mark.parametrize("function, n, message", [
    ("short", 3, r"returned shape \(2,\) for 3 responses"),
    ("scalar", 2, r"returned a single value for 2 responses"),
    ("words", 2, r"returned list, not a list of numbers"),
    ("nan_at_3", 5, r"returned NaN for response 3: 'r3'"),
    ("inf_at_1", 2, r"returned -inf for response 1: 'r1'"),
])
def test_bad_reward_values_are_errors(registry, user_module, function, n, message):
    scorer = build_scorer(registry, f"python:{user_module}:{function}")
    with pytest.raises(UserError, match=rf"^reward 'python:{user_module}:{function}' {message}"):
        scorer.parts(["p"] * n, [f"r{i}" for i in range(n)])


# -- classifier ----------------------------------------------------------------------------------
WORDS = ["the", "movie", "was", "good", "bad", "great", "awful", "fun", "boring", "a", "an", "and", "not", "very"]


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory):
    """A randomly initialised 1-layer BERT classifier and its word-level tokenizer, saved into a
    folder the way a downloaded model would be (nothing is downloaded)."""
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    import torch

    vocab = {tok: i for i, tok in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS])}
    core = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=core, pad_token="[PAD]",
                                                     unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]")
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=64,
                                     num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"},
                                     label2id={"NEGATIVE": 0, "POSITIVE": 1})
    model = transformers.BertForSequenceClassification(config).eval()
    path = tmp_path_factory.mktemp("classifier")
    tokenizer.save_pretrained(path)
    model.save_pretrained(path)
    return path, model, tokenizer


def _reference_probabilities(model, tokenizer, texts):
    """Softmax of the logits of each text run alone (no padding), computed by hand."""
    import torch

    rows = []
    with torch.no_grad():
        for text in texts:
            logits = model(**tokenizer(text, return_tensors="pt")).logits[0].double().numpy()
            exp = np.exp(logits - logits.max())
            rows.append(exp / exp.sum())
    return np.array(rows)


def test_classifier_probability_of_the_label(tiny_classifier):
    path, model, tokenizer = tiny_classifier
    rng = np.random.default_rng(0)
    # 37 texts of different lengths: two batches of 32 and 5, padding inside each.
    texts = [" ".join(rng.choice(WORDS + ["unseen"], size=rng.integers(1, 12))) for _ in range(37)]
    expected = _reference_probabilities(model, tokenizer, texts)
    assert not np.allclose(expected[:, 1], expected[0, 1])  # the texts really score differently

    positive = rewards.classifier(str(path))([""] * len(texts), texts)  # default: POSITIVE
    negative = rewards.classifier(f"{path}@negative")([""] * len(texts), texts)
    by_index = rewards.classifier(f"{path}@0")([""] * len(texts), texts)
    assert all(0.0 <= p <= 1.0 for p in positive)
    np.testing.assert_allclose(positive, expected[:, 1], rtol=0, atol=1e-5)
    np.testing.assert_allclose(negative, expected[:, 0], rtol=0, atol=1e-5)
    np.testing.assert_array_equal(by_index, negative)


def test_classifier_through_a_spec(registry, tiny_classifier):
    path, model, tokenizer = tiny_classifier
    texts = ["the movie was good", "boring"]
    scores = build_scorer(registry, f"2*classifier:{path}@POSITIVE")([""] * 2, texts)
    np.testing.assert_allclose(scores, 2 * _reference_probabilities(model, tokenizer, texts)[:, 1], atol=1e-5)


def test_classifier_default_label_is_positive_else_last():
    assert rewards._label_index({0: "neg", 1: "Positive", 2: "neutral"}, None, "m") == 1
    assert rewards._label_index({"0": "a", "1": "b", "2": "c"}, None, "m") == 2
    with pytest.raises(UserError, match=r"no label 'd'; its labels: a, b, c"):
        rewards._label_index({0: "a", 1: "b", 2: "c"}, "d", "m")


def test_classifier_errors(tiny_classifier, tmp_path, monkeypatch):
    path = tiny_classifier[0]
    with pytest.raises(UserError, match=r"'classifier': the model in .* has no label 'happy'; its labels: "
                                        r"NEGATIVE, POSITIVE"):
        rewards.classifier(f"{path}@happy")
    with pytest.raises(UserError, match=r"'classifier': no model folder"):
        rewards.classifier(str(tmp_path / "missing"))
    with pytest.raises(UserError, match=r"'classifier': .* is not a Hugging Face sequence-classification"):
        rewards.classifier(str(tmp_path))
    with pytest.raises(UserError, match=r"'classifier' needs a model folder"):
        rewards.classifier(None)
    monkeypatch.setitem(sys.modules, "transformers", None)  # as if it were not installed
    with pytest.raises(UserError, match=r"'classifier' needs transformers: pip install \"agentctl\[hf\]\""):
        rewards.classifier(str(path))


def test_builtin_rewards_are_registered_lazily(registry):
    items = {item.name: item for item in registry.all("reward")}
    assert {"sentiment", "keyword", "length", "classifier"} <= set(items)
    assert items["length"].target == "agentctl.text.rewards:length"
    assert items["length"].load()("3")([""], ["abc"]) == [1.0]
    assert not math.isnan(items["sentiment"].load()(None)([""], ["fine"])[0])
