"""The 2-million-backtest stop study (SPEC section 10): `run_study`, `aggregate`, findings.

Kernels live in `study_nb`; `runner` loads and shapes inputs; `aggregate` and `summary` turn
the raw returns into statistics and sentences; `html_report` draws them.
"""
from core.study.runner import StudyConfig, StudyInputs, StudyResult, load_study_inputs, run_study

__all__ = ["StudyConfig", "StudyInputs", "StudyResult", "load_study_inputs", "run_study"]
