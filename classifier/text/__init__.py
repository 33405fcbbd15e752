"""Text to features: normalisation rules (`normalize`) and word TF-IDF (`tfidf`)."""
