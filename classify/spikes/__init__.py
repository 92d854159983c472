"""Negative spike detection: a causal, streaming detector of negative bursts per hashtag.

`detector` holds the core (seasonal baselines and count tail probabilities), `backtest` runs it
over a CSV series, `synthetic` generates labelled social count streams for tests and benches.
"""
