"""The benchmark: ``python -m bench`` (``make bench``) prints one table of the bot's figures.

Sections, one module each: ``floor`` (the model's own encode time), ``latency`` (one user, question
-> rendered reply), ``throughput`` (1/10/50 simulated users through the real ``Application`` over an
in-memory HTTP layer), ``build`` (cold build, unchanged reload), ``coldstart`` (a fresh process's
first answer), ``scale`` (10k-1M passages, exact vs HNSW), ``peer`` (txtai on the same model and
questions). ``report`` holds the table; ``workload`` the questions and synthetic German-like text.
"""
