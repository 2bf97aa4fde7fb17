"""kb finding: text analysis, the Whoosh index, the engine, the service, events and gaps."""
