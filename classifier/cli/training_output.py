"""The training summary (text and JSON) and a settings search's table of trials."""

from __future__ import annotations

from typing import Any

from classifier.cli.output import shorten


def _near_duplicates_line(found: int, groups: int) -> str:
    if not found:
        return "Near-duplicates: none among the training articles"
    return (f"Near-duplicates: {found} articles repeat another, grouped into {groups} groups; each group is "
            "held out whole when its scores set the thresholds and the validation")


def _setting(value: Any) -> str:
    return "-".join(map(str, value)) if isinstance(value, list) else str(value)


def trial_line(t: dict[str, Any]) -> str:
    """A search trial as one table row: number, micro, macro, criterion, seconds, what it changed."""
    changes = ", ".join(f"{k}={_setting(v)}" for k, v in t["changes"].items())
    return (f"{t['trial']:>5}  {t['micro_f1']:.4f}  {t['macro_f1']:.4f}  {t['score']:.4f}  {t['seconds']:7.1f}  "
            f"{changes or '(the starting settings)'}{'  <- best' if t.get('best') else ''}")


def search_lines(search: dict[str, Any]) -> list[str]:
    """The search's table and its outcome, for the training summary."""
    why = {"converged": "a pass over every setting changed nothing", "budget": "the budget had no room for the next "
           "candidate", "trials": "--trials was reached"}[search["stopped"]]
    chosen = ", ".join(f"{k}={_setting(v)}" for k, v in search["chosen"].items())
    sample = (f" (an evenly spaced sample of {search['searched_on']} of the {search['articles']} articles; the "
              "chosen settings were then fitted on all)" if search["searched_on"] != search["articles"] else "")
    return [f"Settings search: {len(search['trials'])} trials in {search['seconds']:.0f} s of a "
            f"{search['budget_seconds'] / 60:g}-minute budget; stopped because {why}{sample}",
            f"Criterion: {search['criterion']}",
            "trial  micro   macro   score   seconds  changes from the starting settings",
            *(trial_line(t) for t in search["trials"]),
            *check_lines(search.get("check")),
            f"Chosen: {chosen}"]


def check_lines(check: dict[str, Any] | None) -> list[str]:
    """The k-fold check of the best candidate against the start, if the search ran one."""
    if not check:
        return []
    start, candidate = check["start"], check["candidate"]
    kept = (f"trial {check['candidate_trial']} kept" if check["kept"] == "candidate" else
            "the starting settings kept")
    return [f"Check by {check['folds']}-fold cross-validation: start {start['micro_f1']:.4f} / "
            f"{start['macro_f1']:.4f}, trial {check['candidate_trial']} {candidate['micro_f1']:.4f} / "
            f"{candidate['macro_f1']:.4f}; gain {check['gain']:+.4f}, standard error {check['standard_error']:.4f}: "
            f"{kept} (a gain must exceed one standard error)"]


def train_summary(result: Any, min_tag_count: int) -> tuple[dict[str, Any], list[str]]:
    """The JSON summary of a training run and its text lines."""
    m, corpus = result.manifest, result.corpus
    summary = {
        "model": str(result.run_dir), "articles": len(corpus), "skipped": len(corpus.skipped),
        "tag_merges": len(corpus.tag_merges), "tags_learned": m["tags_learned"],
        "tags_left_out": m["tags_left_out"], "validation_micro_f1": m["validation"]["micro_f1"],
        "validation_macro_f1": m["validation"]["macro_f1"], "seconds": m["training_seconds"],
        "solver": m["solver"]["path"], "loss": m["solver"]["loss"],
        "near_duplicates": m["near_duplicates"], "near_duplicate_groups": m["near_duplicate_groups"],
        "warnings": result.notes,
    }
    lines = [f"Read {len(corpus)} articles from {corpus.path}"]
    if corpus.skipped:
        lines.append(f"Skipped {len(corpus.skipped)} articles: "
                     + shorten([f"{s.where} ({s.reason})" for s in corpus.skipped], 5, "; "))
    if corpus.tag_merges:
        lines.append(f"Merged {len(corpus.tag_merges)} tag spellings: "
                     + shorten([f"{a} -> {b}" for a, b in corpus.tag_merges.items()], 8))
    feedback = m["training_data"].get("feedback")
    if feedback:
        summary["feedback_articles"] = feedback["articles"]
        lines.append(f"Used {feedback['articles']} feedback articles from {feedback['path']} ({feedback['events']} "
                     f"events; {feedback['replaced']} replaced training articles of the same id)")
    lines += [
        f"Learned {m['tags_learned']} tags; left out {m['tags_left_out']} seen on fewer than {min_tag_count} articles",
        f"Solver: {m['solver']['path']} path, {m['solver']['loss']} loss ({m['solver']['rule']})",
        _near_duplicates_line(m["near_duplicates"], m["near_duplicate_groups"]),
        f"Validation (held-out, training data only): micro-F1 {m['validation']['micro_f1']:.3f}, "
        f"macro-F1 {m['validation']['macro_f1']:.3f}",
        f"Trained in {m['training_seconds']:.1f} s; model saved to {result.run_dir}",
    ]
    fits = m["solver"].get("fits")
    if fits and fits["sampled_fits"]:
        summary["primal_fits"] = fits
        cap, weight = m["settings"]["max_negatives"], fits["largest_negative_weight"]
        lines.insert(-3, f"Negatives sampled in {fits['sampled_fits']:,} of {fits['fits']:,} tag fits "
                         f"(at most {cap:,} each, weighted up to {weight}x)")
    if m.get("search"):
        summary["search"] = m["search"]
        lines[-3:-3] = search_lines(m["search"])
    return summary, lines
