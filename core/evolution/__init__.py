"""Evolution of risk genomes: our own elitist (mu + lambda) loop with JSON checkpoints per generation.

Import from the submodules; this package re-exports the names callers normally need.
"""
from core.evolution.checkpoint import CHECKPOINT_VERSION, CheckpointError, EvolutionState
from core.evolution.config import EvolutionConfig
from core.evolution.hall_of_fame import Champion, HallOfFame
from core.evolution.loop import (Evaluator, EvaluatorContractError, GenerationReport, GenerationStats,
                                 evolve)
from core.evolution.runner import (RunOutcome, best_champion, check_resumable, create_run, displayed_status,
                                   execute_run, final_state_digest, run_data_paths, run_split, stored_config)
from core.evolution.walkforward import Split

__all__ = [
    "CHECKPOINT_VERSION", "CheckpointError", "Champion", "Evaluator", "EvaluatorContractError",
    "EvolutionConfig", "EvolutionState", "GenerationReport", "GenerationStats", "HallOfFame", "RunOutcome",
    "Split", "best_champion", "check_resumable", "create_run", "displayed_status", "evolve", "execute_run", "final_state_digest",
    "run_data_paths", "run_split", "stored_config",
]
