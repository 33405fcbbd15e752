"""Measuring a model: `metrics`, `splits`, per-article scoring (`scoring`), `plots` and the
HTML `report`. Never trains."""
