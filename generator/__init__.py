"""kb content: the article model, validation, staging and building the help site, the CLI."""
