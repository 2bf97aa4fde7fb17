"""``kb import``: an existing MkDocs site or folder of Markdown pages as a ``kb/``.

Owns reading the source (:mod:`~generator.importer.source`), the VK Cloud dialect's macros
(:mod:`~generator.importer.macros`, :mod:`~generator.importer.blocks`,
:mod:`~generator.importer.dialect`), plain-Markdown helpers (:mod:`~generator.importer.text`,
:mod:`~generator.importer.lists`), where each page goes (:mod:`~generator.importer.plan`),
writing the kb files (:mod:`~generator.importer.render`) and the orchestrator
(:mod:`~generator.importer.run`: ``import_tree``).

May import: :mod:`generator.slugs`, :mod:`generator.markdown_config` (the dialect the pages
are rendered in) and :mod:`generator.sanitize` (imported HTML is always cleaned).
Must not import: the build (``generator.build``, ``stage``, ``builder``), the CLI, or
``search``: an import writes files that the normal loader then checks.
"""
