"""The gap report as files: ``gaps.html``, ``gaps.md``, ``gaps.json``, ``gaps.csv``.

:mod:`~search.gaps.report.formats` writes every format (and JSON, Markdown, CSV itself),
:mod:`~search.gaps.report.page` renders ``gaps.html``, :mod:`~search.gaps.report.context`
holds what both share. Imports run ``formats -> page -> context``, never back.

May import: :mod:`search.gaps.model`, :mod:`search.privacy`, :func:`search.events.export.csv_cell`,
:class:`search.events.learned.LearnedAlias` (the learned questions it lists).
Must not import: the analysis (``find`` and the clustering): a report is written from a
finished :class:`~search.gaps.model.GapReport`.
"""
