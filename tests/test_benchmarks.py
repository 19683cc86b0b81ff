"""The benchmarks still run against the library as it is (their figures are read by people, not
asserted here: speed is measured by ``make bench`` on a quiet machine, never by a test)."""

import numpy as np
import pytest

from benchmarks import bench_activations, bench_engine


def test_generated_activations_agree_with_the_hand_written_ones(capsys):
    bench_activations.main(repeats=1)  # asserts that both backward passes agree, then times them
    assert "gelu" in capsys.readouterr().out


def test_the_matrix_product_floor_runs_on_a_small_net():
    t_loss, t_floor, ratio = bench_engine.loss_vs_matmul_floor(8, 6, 5, 3, np.float64, repeats=1)
    assert min(t_loss, t_floor, ratio) > 0


@pytest.mark.slow
def test_training_against_scikit_learn_reaches_the_same_accuracy():
    *_, ours, theirs, n, epochs = bench_engine.digits_vs_sklearn(epochs=3, repeats=1)
    assert n == 1437 and epochs == 3 and ours > 0.8 and theirs > 0.8


def test_the_model_benchmarks_run_at_small_sizes():
    from benchmarks import bench_models

    t, floor, ratio = bench_models.fcn_vs_matmul_floor(8, 6, (5, 4), 3, np.float32, repeats=1)
    assert min(t, floor, ratio) > 0


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_solver_against_scikit_learn_reaches_the_same_accuracy_in_the_same_dtype(dtype):
    from benchmarks import bench_models

    *_, ours, theirs, their_dtype = bench_models.solver_vs_sklearn(dtype, epochs=3, repeats=1)
    assert ours > 0.8 and theirs > 0.8 and their_dtype == dtype


def test_the_batch_norm_benchmark_runs_at_a_small_size():
    from benchmarks import bench_norm

    assert bench_norm.alt_vs_staged(8, 4, np.float64, 1)


@pytest.mark.slow
def test_the_training_benchmark_chooses_on_validation_and_scores_the_test_set_once(capsys):
    from benchmarks import bench_training

    small = {kind: settings[:1] for kind, settings in bench_training.SETTINGS.items()}
    results = bench_training.main(epochs=1, settings=small)
    assert set(results) == set(small) and all(0.5 < acc <= 1.0 for acc in results.values())
    assert "chosen on validation" in capsys.readouterr().out
