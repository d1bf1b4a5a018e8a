"""The benchmark suite: the product measured beside bare baselines in the same run.

Run it with `make bench` (quick) or `make bench-full`; it prints a table and writes
`bench-results.json`. Ratios against a baseline measured moments before on the same machine
are the figures that count: these machines are noisy, absolute timings are not comparable
between runs. Nothing here asserts a timing.
"""
