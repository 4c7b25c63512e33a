# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Config helpers shared by the tools."""
from typing import Optional

from mmengine.config import Config

# top-level fields mmengine's Runner.from_cfg reads, valid even where a
# config leaves them out
RUNNER_KEYS = frozenset(
    ('model', 'work_dir', 'experiment_name', 'train_dataloader',
     'val_dataloader', 'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg',
     'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator',
     'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor',
     'load_from', 'resume', 'launcher', 'env_cfg', 'log_processor',
     'log_level', 'visualizer', 'default_scope', 'randomness',
     'allow_missing_pretrained'))


def merge_cfg_options(cfg: Config, options: Optional[dict]) -> Config:
    """``cfg.merge_from_dict(options)`` that refuses a key whose first part
    is neither in the config nor a field mmengine's runner reads
    (``trian_dataloader.batch_size=1`` would otherwise add an unused field
    and be ignored silently).

    Args:
        cfg (Config): The config, changed in place.
        options (dict, optional): ``--cfg-options`` (dotted keys).

    Returns:
        Config: ``cfg``.

    Raises:
        KeyError: An unknown top-level key, with the closest known ones.
    """
    if not options:
        return cfg
    import difflib
    for key in options:
        top = key.split('.')[0]
        if top not in cfg and top not in RUNNER_KEYS:
            known = sorted(set(cfg.keys()) | RUNNER_KEYS)
            close = difflib.get_close_matches(top, known, n=3)
            hint = f'; did you mean {", ".join(close)}?' if close else ''
            raise KeyError(f'--cfg-options {key}: the config has no '
                           f'{top!r}{hint}')
    cfg.merge_from_dict(options)
    return cfg
