"""The gap analysis with sentence embeddings: when it applies, what it groups, and that it is
deterministic. These need the optional encoder (the ``semantic`` extra), as CI installs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from kb_helpcenter.search.gaps.cluster_dense import cluster_dense
from kb_helpcenter.search.gaps.find import QuestionSet, find_gaps
from kb_helpcenter.search.gaps.method import choose_method
from kb_helpcenter.search.gaps.model import CONFIDENT, CONFIDENT_SEMANTIC, Match
from kb_helpcenter.search.meaning import minilm
from kb_helpcenter.search.meaning.vectors import latin_share

NOW = datetime(2026, 6, 1, tzinfo=UTC)

ARTICLES = {
    "lost-card": ["Lost or stolen card", "I lost my card", "My card was stolen"],
    "statement": ["Account statements", "Where do I find my statement?", "download a statement"],
}

# A missing topic asked in words that share no lemma from one question to the next, an
# article's topic asked in other words, and a question of its own.
FEES = ["What is the fee for paying in a foreign currency?", "Is there a charge when I pay abroad?",
        "Which fees apply to card payments in euros?", "how much do you charge on payments in other currencies"]
STOLEN = ["my card has been stolen", "someone stole my bank card"]
ALONE = ["Can I open an account for my child?"]


@pytest.fixture(scope="module")
def embed():
    ok, why = minilm.available()
    assert ok, f"the semantic tests need the optional encoder: {why}"
    return minilm.shared_encoder().encode


def weak_search(text: str) -> list[Match]:
    """An engine that finds something for every question but is never confident."""
    return [Match("statement", "Account statements", 0.5), Match("lost-card", "Lost or stolen card", 0.4)]


def questions_of(texts: list[str]) -> QuestionSet:
    questions = QuestionSet(now=NOW)
    for text in texts:
        questions.add(text, source="tickets", at=NOW - timedelta(days=1))
    return questions


def test_a_missing_topic_is_one_gap_and_paraphrases_of_an_article_are_near_misses(embed):
    report = find_gaps(questions_of(FEES + STOLEN + ALONE), weak_search, articles=ARTICLES, embed=embed)
    assert report.method.name == "semantic"
    new = report.new_articles()
    assert sorted(q.text for q in new[0].questions) == sorted(FEES)
    assert new[0].size == 4
    assert [g.size for g in new[1:]] == [1]
    near = report.near_misses()
    assert len(near) == 1 and near[0].nearest.id == "lost-card"
    assert sorted(q.text for q in near[0].questions) == sorted(STOLEN)
    lexical = find_gaps(questions_of(FEES + STOLEN + ALONE), weak_search, articles=ARTICLES)
    assert lexical.method.name == "lexical"
    assert max(g.size for g in lexical.new_articles()) < 4  # lemma overlap scatters the fees


def test_the_same_questions_in_any_order_give_the_same_report(embed):
    texts = FEES + STOLEN + ALONE
    first = find_gaps(questions_of(texts), weak_search, articles=ARTICLES, embed=embed)
    again = find_gaps(questions_of(list(reversed(texts))), weak_search, articles=ARTICLES, embed=embed)
    assert first.gaps == again.gaps


def test_russian_questions_keep_the_lexical_method_unchanged(embed):
    texts = ["Как вернуть товар без чека?", "вернуть товар без чека", "Где мой курьер", "курьер опоздал"]

    def search(text: str) -> list[Match]:
        return [Match("refund", "Как вернуть товар", 1.6 if "вернуть" in text else 0.4)]

    with_encoder = find_gaps(questions_of(texts), search, embed=embed)
    without = find_gaps(questions_of(texts), search)
    assert with_encoder.method.name == "lexical"
    assert "Latin-script" in with_encoder.method.note
    assert with_encoder.gaps == without.gaps


def test_the_method_is_chosen_by_script_and_bounded_by_the_cap():
    def encode(texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), 2), dtype=np.float32)

    assert latin_share(["top up", "пополнить"]) == pytest.approx(5 / 14)
    assert choose_method(["How do I top up?"], embed=None, to_embed=1).name == "lexical"
    assert choose_method(["How do I top up?"], embed=encode, to_embed=1).name == "semantic"
    assert choose_method(["Как пополнить?"], embed=encode, to_embed=1).name == "lexical"
    capped = choose_method(["How do I top up?"], embed=encode, to_embed=11, cap=10)
    assert capped.name == "lexical" and "over the cap of 10" in capped.note


def test_dense_clustering_is_deterministic_and_joins_what_is_alike():
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(3, 16)).astype(np.float32)
    rows = np.concatenate([c + 0.1 * rng.normal(size=(5, 16)) for c in centres]).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    order = list(range(len(rows)))
    first = cluster_dense(rows, [1] * len(rows), order, threshold=0.8, merge=0.9)
    assert first.labels == cluster_dense(rows, [1] * len(rows), order, threshold=0.8, merge=0.9).labels
    assert first.labels == [0] * 5 + [1] * 5 + [2] * 5


def test_dense_clustering_joins_pieces_the_rounds_bring_together_only_with_remerge():
    # Twelve questions around one direction: the k-means rounds leave two topics whose centroids
    # are more alike than ``merge`` (0.81); ``remerge`` joins them, and no pair that alike is left.
    rng = np.random.default_rng(2)
    rows = rng.normal(size=(12, 3)).astype(np.float32) + np.array([2, 0, 0], dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    order = list(range(len(rows)))
    apart = cluster_dense(rows, [1] * len(rows), order, threshold=0.9, merge=0.8)
    joined = cluster_dense(rows, [1] * len(rows), order, threshold=0.9, merge=0.8, remerge=0.8)
    closest = lambda c: float((c @ c.T - 2 * np.eye(len(c))).max())  # noqa: E731
    assert closest(apart.centroids) >= 0.8
    assert len(set(joined.labels)) == len(set(apart.labels)) - 1
    assert closest(joined.centroids) < 0.8
    assert joined.labels == cluster_dense(rows, [1] * len(rows), order, threshold=0.9, merge=0.8, remerge=0.8).labels


def test_the_semantic_method_answers_only_above_its_own_stricter_threshold(embed):
    def search(text: str) -> list[Match]:  # between CONFIDENT and CONFIDENT_SEMANTIC
        return [Match("lost-card", "Lost or stolen card", (CONFIDENT + CONFIDENT_SEMANTIC) / 2)]

    semantic_report = find_gaps(questions_of(FEES), search, articles=ARTICLES, embed=embed)
    lexical_report = find_gaps(questions_of(FEES), search, articles=ARTICLES)
    assert CONFIDENT < CONFIDENT_SEMANTIC
    assert semantic_report.totals["answered"] == 0
    assert lexical_report.totals["answered"] == len(FEES)


def test_the_report_takes_the_articles_vectors_from_the_search_index(tmp_path, embed):
    from kb_helpcenter.search.engine.index import build_index
    from kb_helpcenter.search.gaps.run import sentence_encoder
    from kb_helpcenter.search.manifest import ArticleRecord, Manifest
    from kb_helpcenter.search.meaning.vectors import ArticleVectors

    card = ArticleRecord(id="card-arrival", url="cards/card-arrival/", title="Card arrival", summary="",
                         aliases=("When will my new card arrive?",), section="Cards", body="Posted in 3 days.")
    info = build_index(Manifest(articles=(card,)), tmp_path / "index")
    stored = ArticleVectors.load(info.path)
    encode = sentence_encoder(tmp_path / "index")
    # an article's text comes from the index as it was stored (float16), however it is spaced;
    # a new text is embedded, in the order asked
    got = encode(["When will my  new card arrive?", "Where is my parcel?", "Card arrival"])
    assert got.dtype == np.float32 and got.shape == (3, 384)
    assert np.array_equal(got[0], stored.matrix[stored.texts.index("When will my new card arrive?")].astype(np.float32))
    assert np.array_equal(got[2], stored.matrix[stored.texts.index("Card arrival")].astype(np.float32))
    assert np.allclose(got[1], minilm.shared_encoder().encode(["Where is my parcel?"])[0], atol=1e-5)
    # without an index it embeds everything itself
    alone = sentence_encoder(tmp_path / "missing")(["Card arrival"])
    assert np.allclose(alone[0], got[2], atol=2e-3)
