"""The scenario suite: sandbox cases with their expected top cause, plus builders of hand-made evidence."""
