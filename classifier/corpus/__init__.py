"""Reading corpora and pages: the one file reader (`reader`), articles and tags (`articles`,
`tagmap`), saved pages (`pages`), `import` (`ingest`), duplicates and corpus statistics."""
