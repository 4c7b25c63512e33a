"""FeatureSimilarityLoss(warmup=...) reads the training loop's iteration:
the weight used at each iteration of a real mmengine run."""
import pytest
from helpers import tiny_train_cfg
from mmengine.hooks import Hook
from mmengine.runner import Runner

TWIN = 'configs/synthetic/hfpl-cam_r18h-d8_1xb8-400i_synthvoc-128x128.py'


class RecordFSLWeight(Hook):
    """The FSL weight of every training iteration, read after its step
    (the message hub still holds that iteration)."""

    def __init__(self):
        self.weights = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        fsl = runner.model.addon.loss_fsl
        self.weights.append(fsl.current_weight())


def run(cfg):
    runner = Runner.from_cfg(cfg)
    hook = RecordFSLWeight()
    runner.register_hook(hook)
    runner.train()
    return hook.weights


def test_fsl_weight_ramps_over_the_training_loops_iterations(
        synthetic_voc, tmp_path):
    cfg = tiny_train_cfg(TWIN, synthetic_voc, str(tmp_path / 'work'),
                         max_iters=3, ckpt_interval=10)
    cfg.model.addon.loss_fsl.update(warmup=0.5, loss_weight=2.0)
    # the ramp spans 0.5 * 3 = 1.5 iterations: iteration k (0-based) gets
    # 2 * min(1, (k + 1) / 1.5)
    weights = run(cfg)
    assert weights == pytest.approx([2.0 / 1.5, 2.0, 2.0], rel=1e-12)
