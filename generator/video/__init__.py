"""Videos in articles: links, times, chapters, transcripts and click-to-play facades.

Owns recognising links (:mod:`~generator.video.sources`: YouTube, Rutube, VK Video, Vimeo,
files), reading transcripts (:mod:`~generator.video.transcripts`), checking the front matter's
``videos`` entries (:mod:`~generator.video.entries`) and rendering facades
(:mod:`~generator.video.render`).

May import: the content model (:mod:`generator.model`) and :mod:`generator.files`.
Must not import: the loader, the build stages, the CLI, or ``search``.
"""
