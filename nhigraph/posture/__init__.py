"""What is derived from the graph: reach summaries, findings, risk, reviews, posture builds.

Everything here reads the graph through the store contract and the blast-radius
engine (``graph/``); nothing here ingests, and nothing in ``graph/`` imports it.
"""
