"""Out-of-sample reports of evolution runs: walk-forward comparison against baselines, the design
note's claims judged in numbers, and a self-contained HTML page. Pure: no SQL, no printing."""
