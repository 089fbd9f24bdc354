"""One module per source catalog format; each turns raw entries into tool drafts."""
