"""The application API: the jobs the CLI and the HTTP service share (`training.train`,
`tagging.predict` and `read_texts`, `evaluating.evaluate` and `cross_validate`, `corpora.stats` and
`import_corpus`) and the run folders they read and write (`runs`). `classifier.__all__` exports
them; each module is imported only when one of its names is used."""
