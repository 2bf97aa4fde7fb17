"""The gap analysis: questions in, a ranked list of what the knowledge base does not answer out.

    >>> questions = QuestionSet(now=now, since=now - timedelta(days=30))
    >>> questions.add("Как вернуть товар без чека?", source="tickets", at=yesterday)
    >>> report = find_gaps(questions, search)       # search: text -> [Match(id, title, score)]
    >>> [(g.rank, g.kind, g.label, g.size) for g in report.gaps]
    [(1, 'new-article', 'Как вернуть товар без чека?', 1)]

Pure and deterministic: no I/O, no clock (``now`` is an argument), the engine is a function.
The stages:

1. **normalise** — each question becomes the set of its lemmas by the search analysis (stop
   words and politeness gone, "[phone]"-style placeholders ignored), misspelt words folded into
   the usual spelling (:mod:`search.gaps.typos`); questions with the same lemmas are one
   *distinct question* with a count, its sources, first and last seen, and its wordings;
2. **classify** — the engine answers each distinct question once (its most frequent wording).
   *Answered* when the top hit scores at least ``confident``: a calibrated threshold (see
   :data:`~search.gaps.model.CONFIDENT`; ``CONFIDENT_SEMANTIC`` with the semantic method), not "had any hit";
3. **cluster** the rest into topics (:mod:`search.gaps.cluster`);
4. **near miss or new article** — a topic whose questions mostly (``concentration`` of their
   count) have the same top article, scoring at least ``weak`` on average, is a *near miss*:
   the article exists and customers ask for it in words it does not know, so the fix is an
   alias or a better title (``kind="add-alias"``). Any other topic is a gap that needs a new
   article (``kind="new-article"``). Deciding this per topic rather than per question is what
   separates the two: the questions of a missing topic scatter over several wrong articles,
   those of a badly worded one agree on the right article;
5. **rank** by size weighted towards recent questions (a question ``half_life_days`` old counts
   half), with the trend against the baseline period (questions before ``since``).

Steps 3 and 4 measure closeness by lemma overlap, unless ``embed`` (an English sentence
encoder) is given and the questions are English: then by the cosine of sentence embeddings
(:mod:`search.gaps.method` decides, :mod:`search.gaps.semantic` does it). The report's
``method`` says which ran.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from kb_helpcenter.search.engine.analysis import surfaces_and_terms
from kb_helpcenter.search.gaps.cluster import Clustering, assign, cluster
from kb_helpcenter.search.gaps.method import Embed, choose_method
from kb_helpcenter.search.gaps.model import (
    SOURCES,
    Distinct,
    Gap,
    GapQuestion,
    GapReport,
    GapSettings,
    Match,
    Progress,
    SearchFn,
    earliest,
    latest,
)
from kb_helpcenter.search.gaps.near import Profiles, idf_of, unit
from kb_helpcenter.search.gaps.typos import fold_typos
from kb_helpcenter.search.privacy import PLACEHOLDERS, without_placeholders


@lru_cache(maxsize=200_000)
def question_units(text: str) -> tuple[tuple[str, str], ...]:
    """``(surface word, lemma)`` pairs of a question, stop words out, each pair once.

    ``question_units("Не приходит SMS")`` is ``(("не", "не"), ("приходит", "приходить"),
    ("sms", "sms"))``.
    """
    pairs = [(surface, term) for _, surface, term in surfaces_and_terms(without_placeholders(text)) if term]
    return tuple(dict.fromkeys(pairs))


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*\n\s*")
#: Words of an opening greeting ("Добрый день, ..."), dropped with the comma after them.
GREETING_WORDS = frozenset("""
    здравствуйте здравствуй привет приветствую добрый доброе доброго день утро вечер времени суток
    уважаемые уважаемая уважаемый поддержка коллеги
    hi hello hey dear good morning afternoon evening team support there
""".split())


def plain_question(text: str) -> str:
    """A customer's question as a writer wants it in a title or an alias: sentences that are
    only a greeting or thanks ("Здравствуйте!", "Спасибо") and sentences that carry personal
    data (a masked ``[phone]``, ``[email]``...) dropped, an opening greeting before a comma too.
    When nothing would be left: the text without its placeholders (or as it is, if only they).

        >>> plain_question("Здравствуйте! Не приходит SMS с кодом. Мой номер [phone]")
        'Не приходит SMS с кодом.'
        >>> plain_question("Добрый день, не приходит SMS")
        'не приходит SMS'
    """
    kept = []
    for sentence in _SENTENCE_END.split(text.strip()):
        sentence = sentence.strip()
        if (not sentence or any(p in sentence for p in PLACEHOLDERS) or not question_units(sentence)
                or set(re.findall(r"\w+", sentence.casefold())) <= GREETING_WORDS):
            continue
        head, comma, rest = sentence.partition(",")
        words = re.findall(r"\w+", head.casefold())
        if comma and words and set(words) <= GREETING_WORDS and question_units(rest):
            sentence = rest.strip()
        kept.append(sentence)
    if kept:
        return " ".join(kept)
    return " ".join(without_placeholders(text).split()) or text.strip()




class QuestionSet:
    """Questions as they arrive, grouped by their lemmas (see the module docstring).

    ``since`` starts the period; questions before it are the baseline for trends. Undated
    questions belong to the period and count fully. Memory grows with the distinct questions
    and their wordings, not with the number added.
    """

    def __init__(self, *, now: datetime, since: datetime | None = None, half_life_days: float = 14.0) -> None:
        self.now = now
        self.since = since
        self.half_life_days = half_life_days
        self.distinct: dict[tuple[str, ...], Distinct] = {}
        self.added = 0
        self.without_words = 0

    def add(self, text: str, *, source: str, at: datetime | None = None, count: int = 1,
            first: datetime | None = None) -> bool:
        """Add ``count`` askings of ``text`` (already cleaned and masked) from ``source``, the
        last at ``at`` and the first at ``first`` (default ``at``); ``False`` when it has no words."""
        if source not in SOURCES:
            raise ValueError(f"source: expected one of {', '.join(SOURCES)}, got {source!r}")
        units = question_units(text)
        if not units:
            self.without_words += count
            return False
        key = tuple(sorted({t for _, t in units}))
        entry = self.distinct.get(key)
        if entry is None:
            entry = self.distinct[key] = Distinct(units)
        if self.since is not None and at is not None and at < self.since:
            if at >= self.since - (self.now - self.since):  # older than the baseline: out of scope
                entry.previous += count
            return True
        self.added += count
        entry.count += count
        entry.wordings[text] += count
        entry.sources[source] += count
        entry.weight += count * self._recency(at)
        entry.first = earliest(entry.first, first or at)
        entry.last = latest(entry.last, at)
        return True

    def _recency(self, at: datetime | None) -> float:
        if at is None:
            return 1.0
        age_days = max((self.now - at).total_seconds() / 86400, 0.0)
        return 0.5 ** (age_days / self.half_life_days)

    def folded(self, *, fold: bool = True) -> list[Distinct]:
        """The distinct questions after typo folding, in a fixed order (by their lemmas)."""
        frequencies: Counter[str] = Counter()
        for entry in self.distinct.values():
            for surface, _ in entry.units:
                frequencies[surface] += entry.count + entry.previous
        fixes = fold_typos(frequencies) if fold else {}
        merged: dict[tuple[str, ...], Distinct] = {}
        for key in sorted(self.distinct):
            entry = self.distinct[key]
            if any(surface in fixes for surface, _ in entry.units):
                units = tuple(dict.fromkeys(
                    (fixes[surface], _lemma_of(fixes[surface])) if surface in fixes else (surface, term)
                    for surface, term in entry.units
                ))
                key = tuple(sorted({t for _, t in units}))
                entry = Distinct(units, entry.wordings, entry.count, entry.previous, entry.weight,
                                  entry.sources, entry.first, entry.last)
            if key in merged:
                merged[key].merge(entry)
            else:
                merged[key] = Distinct(entry.units, Counter(entry.wordings), entry.count, entry.previous,
                                        entry.weight, Counter(entry.sources), entry.first, entry.last)
        return [merged[k] for k in sorted(merged)]


def _lemma_of(surface: str) -> str:
    units = question_units(surface)
    return units[0][1] if units else surface


def find_gaps(questions: QuestionSet, search: SearchFn, *, articles: Mapping[str, Sequence[str]] | None = None,
              settings: GapSettings = GapSettings(), progress: Progress | None = None,
              embed: Embed | None = None) -> GapReport:
    """Classify, cluster and rank ``questions`` (see the module docstring).

    ``articles`` maps article ids to the ways they are asked already (title and aliases): the
    start of each article's profile for near misses (:mod:`search.gaps.near`). ``embed`` (texts
    to unit rows, e.g. ``search.meaning.minilm.shared_encoder().encode``) turns on the semantic method
    where it applies (:mod:`search.gaps.method`); the report says which method ran.
    """
    distinct = questions.folded(fold=settings.fold_typos)
    current = [d for d in distinct if d.count]
    baseline = [d for d in distinct if not d.count and d.previous]
    hits = _search_all(current, search, progress)
    confident = [bool(h) and h[0].score >= settings.confident for h in hits]
    strict = [bool(h) and h[0].score >= settings.confident_semantic for h in hits]
    has_period = questions.since is not None
    to_embed = sum(not ok for ok in strict) + (len(baseline) if has_period else 0)
    method = choose_method([d.wording() for d in current], embed=embed, to_embed=to_embed,
                           cap=settings.max_embedded)
    if method.name == "semantic":
        confident = strict
    if method.name == "semantic" and embed is not None:
        groups = _semantic_groups(current, baseline, hits, confident, articles or {}, embed, settings, has_period,
                                  progress)
    else:
        groups = _lexical_groups(current, baseline, hits, confident, articles or {}, settings, has_period)
    gaps = [_gap(g, [current[i] for i in g.members], [hits[i] for i in g.members]) for g in groups]
    gaps.sort(key=lambda g: (-g.weight, -g.size, g.label))
    gaps = [_ranked(g, rank) for rank, g in enumerate(gaps, 1)]
    near_total = sum(g.size for g in gaps if g.kind == "add-alias")
    totals = {
        "questions": questions.added, "distinct": len(current),
        "answered": sum(d.count for d, ok in zip(current, confident, strict=True) if ok),
        "near_miss": near_total, "unanswered": sum(g.size for g in gaps) - near_total,
        "without_words": questions.without_words,
    }
    return GapReport(generated_at=questions.now, since=questions.since, totals=totals, gaps=tuple(gaps),
                     method=method)


class Group(NamedTuple):
    """A gap before it is ranked: its kind, its questions (indexes into the current ones), each
    one's cosine with the topic or article, the lexical centroid (for top terms), the baseline
    count, and for a near miss found by embeddings the article (its id and title)."""

    kind: str
    members: list[int]
    own: list[float]
    centroid: dict[str, float]
    previous: int | None
    article: tuple[str, str] | None = None


def _lexical_groups(current: list[Distinct], baseline: list[Distinct], hits: list[list[Match]],
                    confident: list[bool], articles: Mapping[str, Sequence[str]], settings: GapSettings,
                    has_period: bool) -> list[Group]:
    """Near misses and topics by lemma overlap: profiles (:mod:`search.gaps.near`) and TF-IDF
    leader clustering (:mod:`search.gaps.cluster`)."""
    known = {a: [question_terms(q) for q in qs] for a, qs in sorted(articles.items())}
    profiles = Profiles(idf_of([*(d.terms for d in current), *(t for ts in known.values() for t in ts)]))
    for article_id, asked in known.items():
        for terms in asked:
            profiles.add(article_id, terms)
    for d, h, ok in zip(current, hits, confident, strict=True):
        if ok:
            profiles.add(h[0].id, d.terms)
    near: dict[str, list[int]] = {}
    pending: list[int] = []
    for i, d in enumerate(current):
        if confident[i]:
            continue
        article_id, cos = profiles.nearest(d.terms, [h.id for h in hits[i]])
        if article_id is not None and cos >= settings.near:
            near.setdefault(article_id, []).append(i)
        else:
            pending.append(i)
    clustering = cluster([(current[i].terms, current[i].count) for i in pending], threshold=settings.similarity)
    groups: list[Group] = []
    members_of: dict[int, list[int]] = {}
    sims: dict[int, float] = {}
    for position, label in enumerate(clustering.labels):
        members_of.setdefault(label, []).append(pending[position])
        sims[pending[position]] = clustering.similarity[position]
    previous = _baseline(members_of, current, baseline, clustering, settings, has_period)
    for label, members in members_of.items():
        centroid = clustering.centroids[label]
        candidates = sorted({h.id for i in members for h in hits[i]})
        article_id, cos = profiles.nearest_vector(_centroid([current[i].terms for i in members], profiles.idf),
                                                  candidates)
        if article_id is not None and cos >= settings.near_topic and len(members) > 1:
            for i in members:
                near.setdefault(article_id, []).append(i)
            continue
        groups.append(Group("new-article", members, [sims[i] for i in members], centroid, previous.get(label)))
    for article_id, members in sorted(near.items()):
        members.sort()
        own = [profiles.similarity(current[i].terms, article_id) for i in members]
        before = sum(current[i].previous for i in members) if has_period else None
        groups.append(Group("add-alias", members, own, _centroid([current[i].terms for i in members], profiles.idf),
                            before))
    return groups


def _semantic_groups(current: list[Distinct], baseline: list[Distinct], hits: list[list[Match]],
                     confident: list[bool], articles: Mapping[str, Sequence[str]], embed: Embed,
                     settings: GapSettings, has_period: bool, progress: Progress | None) -> list[Group]:
    """Near misses and topics by sentence embeddings (:mod:`search.gaps.semantic`); top terms
    still come from the members' lemmas."""
    from kb_helpcenter.search.gaps.semantic import semantic_grouping  # numpy: only with an encoder

    grouping = semantic_grouping(current, baseline, hits, confident, articles, embed, settings,
                                 has_period=has_period, progress=progress)
    idf = idf_of(d.terms for d in current)
    groups = [Group("new-article", members, own, _centroid([current[i].terms for i in members], idf), before)
              for members, own, before in grouping.topics]
    for article_id, pairs in sorted(grouping.near.items()):
        pairs.sort()
        members = [i for i, _ in pairs]
        before = sum(current[i].previous for i in members) if has_period else None
        title = next(iter(articles.get(article_id, ())), article_id)
        groups.append(Group("add-alias", members, [cos for _, cos in pairs],
                            _centroid([current[i].terms for i in members], idf), before, (article_id, title)))
    return groups


def question_terms(text: str) -> tuple[str, ...]:
    """The sorted distinct lemmas of a question: what makes two questions the same one."""
    return tuple(sorted({t for _, t in question_units(text)}))


def _search_all(current: list[Distinct], search: SearchFn, progress: Progress | None) -> list[list[Match]]:
    """The engine's hits for each distinct question (its most frequent wording), once each."""
    out: list[list[Match]] = []
    for i, d in enumerate(current):
        if progress and i % 500 == 0:
            progress("search", i, len(current))
        out.append(list(search(d.wording())))
    if progress:
        progress("search", len(current), len(current))
    return out


def _centroid(term_sets: list[tuple[str, ...]], idf: dict[str, float]) -> dict[str, float]:
    total: dict[str, float] = {}
    for terms in term_sets:
        for t, w in unit(terms, idf).items():
            total[t] = total.get(t, 0.0) + w
    norm = math.sqrt(sum(w * w for w in total.values())) or 1.0
    return {t: w / norm for t, w in total.items()}


def _baseline(members_of: dict[int, list[int]], current: list[Distinct], baseline: list[Distinct],
              clustering: Clustering, settings: GapSettings, has_period: bool) -> dict[int, int]:
    """Questions of the baseline period per topic: the members' own, plus baseline-only
    questions that would have joined the topic."""
    if not has_period:
        return {}
    previous = {label: sum(current[i].previous for i in members) for label, members in members_of.items()}
    for d in baseline:
        label = assign(clustering, d.terms, threshold=settings.similarity)
        if label is not None:
            previous[label] += d.previous
    return previous


def _gap(group: Group, entries: list[Distinct], hits: list[list[Match]]) -> Gap:
    """One gap from its distinct questions. Its nearest article: the one most of its questions
    found first; for a near miss, the article it was matched with (by profile: the hit all its
    questions share; by embeddings: the group's article), with the engine's mean score for it."""
    kind, sims, centroid, previous = group.kind, group.own, group.centroid, group.previous
    size = sum(d.count for d in entries)
    votes: Counter[str] = Counter()
    scores: dict[str, float] = {}
    titles: dict[str, str] = {}
    article = group.article[0] if group.article else _profile_article(kind, hits)
    for d, found in zip(entries, hits, strict=True):
        top = next((h for h in found if h.id == article), None) if article else (found[0] if found else None)
        if top is not None:
            votes[top.id] += d.count
            scores[top.id] = scores.get(top.id, 0.0) + top.score * d.count
            titles[top.id] = top.title
    nearest = None
    if votes:
        best = min(votes, key=lambda a: (-votes[a], a))
        mean = scores[best] / votes[best]
        nearest = Match(best, titles[best], round(mean, 3))
    elif group.article:
        nearest = Match(group.article[0], group.article[1], 0.0)  # the engine never found it
    representative = max(zip(sims, entries, strict=True),
                         key=lambda m: (m[0] * (1 + math.log(m[1].count)), m[1].count, m[1].wording()))[1]
    surfaces: dict[str, Counter[str]] = {}
    for d in entries:
        for surface, term in d.units:
            surfaces.setdefault(term, Counter())[surface] += d.count
    terms = sorted(centroid, key=lambda t: (-centroid[t], t))[:5]
    top_terms = tuple(min(surfaces[t], key=lambda s: (-surfaces[t][s], s)) if t in surfaces else t for t in terms)
    sources: Counter[str] = Counter()
    for d in entries:
        sources.update(d.sources)
    listed = sorted((GapQuestion(d.wording(), d.count) for d in entries), key=lambda q: (-q.count, q.text))
    return Gap(
        rank=0, label=plain_question(representative.wording()), kind=kind, size=size,
        weight=round(sum(d.weight for d in entries), 6), top_terms=top_terms,
        sources={s: sources.get(s, 0) for s in SOURCES},
        first_seen=min((d.first for d in entries if d.first), default=None),
        last_seen=max((d.last for d in entries if d.last), default=None),
        previous=previous, nearest=nearest, questions=tuple(listed),
    )


def _profile_article(kind: str, hits: list[list[Match]]) -> str | None:
    """The article a near-miss group was built around: the one hit that all its questions share."""
    if kind != "add-alias":
        return None
    shared = set.intersection(*({h.id for h in found} for found in hits))
    return min(shared) if shared else None


def _ranked(gap: Gap, rank: int) -> Gap:
    return replace(gap, rank=rank)
