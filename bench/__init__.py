"""Benchmarks of the serving path against the same model under Keras/TensorFlow.

Run them all with ``make bench`` (``python -m bench``); ``python -m bench --help`` lists one
sub-command per benchmark. Every figure is measured in that run, on real tweets, and
``docs/performance.md`` is written from the run's results (never edited by hand).
"""
