# Copyright (c) hfpl-mm contributors. All rights reserved.
"""Config helpers shared by the tools."""
import argparse
from typing import Optional

from mmengine.config import Config, ConfigDict

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


def _fill_none_fields(cfg: Config, key: str, value) -> None:
    """Make the ``None`` fields that option ``key`` writes into empty
    dicts: every field on its path, and the field itself when ``value`` is
    a dict (mmengine refuses to merge a dict into ``None``)."""
    parts = key.split('.')
    node = cfg
    for part in parts[:len(parts) if isinstance(value, dict) else -1]:
        if not isinstance(node, (dict, Config)) or part not in node:
            return
        if node[part] is None:
            node[part] = ConfigDict()
        node = node[part]


class CfgOptionsAction(argparse.Action):
    """``--cfg-options key=value ...`` as mmengine's ``DictAction`` parses
    it, with two differences: a token without ``=`` is an argparse error
    naming it (``DictAction`` fails with 'not enough values to unpack'), and
    a value that is not a list or tuple keeps its spaces (``DictAction``
    removes every space: ``work_dir="my runs"`` became ``myruns``).
    Numbers, booleans and ``None`` are converted; ``[..]`` / ``(..)`` are
    parsed by ``DictAction``."""

    def __call__(self, parser, namespace, values, option_string=None):
        from mmengine.config import DictAction
        options = getattr(namespace, self.dest, None) or {}
        for token in values:
            if '=' not in token:
                parser.error(f'{option_string}: {token!r} is not key=value')
            key, value = token.split('=', 1)
            if not key:
                parser.error(f'{option_string}: {token!r} has no key')
            stripped = value.strip()
            if stripped[:1] in '[(' and stripped:
                options[key] = DictAction._parse_iterable(stripped)
            else:
                options[key] = DictAction._parse_int_float_bool(value)
        setattr(namespace, self.dest, options)


def _current(cfg: Config, key: str):
    """The config's value at dotted ``key``, or a sentinel when absent."""
    node = cfg
    for part in key.split('.'):
        if isinstance(node, (dict, Config)) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(
                part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


_MISSING = object()


def merge_cfg_options(cfg: Config, options: Optional[dict]) -> Config:
    """``cfg.merge_from_dict(options)`` that refuses a key whose first part
    is neither in the config nor a field mmengine's runner reads
    (``trian_dataloader.batch_size=1`` would otherwise add an unused field
    and be ignored silently).

    A field the config sets to ``None`` can be filled in by its sub-keys:
    ``optim_wrapper.clip_grad.max_norm=10`` switches gradient clipping on
    although the schedules say ``clip_grad=None`` (plain mmengine stops
    there with a type error).

    Args:
        cfg (Config): The config, changed in place.
        options (dict, optional): ``--cfg-options`` (dotted keys).

    Returns:
        Config: ``cfg``.

    Raises:
        KeyError: An unknown top-level key, with the closest known ones.
        ValueError: A text where the config has a number or a boolean
            (``optim_wrapper.optimizer.lr=abc``), naming key and value.
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
    for key, value in options.items():
        current = _current(cfg, key)
        if (isinstance(current, (int, float)) and isinstance(value, str)):
            kind = 'true / false' if isinstance(current, bool) else 'a number'
            raise ValueError(
                f'--cfg-options {key}={value!r}: expected {kind} (the config '
                f'has {current!r})')
    for key, value in options.items():
        _fill_none_fields(cfg, key, value)
    cfg.merge_from_dict(options)
    return cfg


def iter_schedule_options(cfg: Config,
                          iters: int,
                          log_interval: Optional[int] = None,
                          ckpt_interval: Optional[int] = None,
                          max_keep_ckpts: Optional[int] = 1,
                          val_interval: int = 10**9) -> dict:
    """``--cfg-options`` (dotted keys, for :func:`merge_cfg_options`) that
    train ``cfg`` for ``iters`` iterations with an iteration-based loop.

    The loop becomes ``IterBasedTrainLoop(max_iters=iters)`` (validating at
    the last iteration when the config validates), every ``PolyLR``
    scheduler spans ``[0, iters)`` by iteration, the checkpoint hook (the
    config's type) saves by iteration, the logger logs by iteration, and a
    ``DefaultSampler`` of the training data becomes mmengine's
    ``InfiniteSampler`` (same shuffling).
    The same options can be given on any tool's command line.

    Args:
        cfg (Config): The config the options are for (its schedulers are
            looked up, not changed).
        iters (int): Training iterations.
        log_interval (int, optional): Defaults to ``max(1, iters // 8)``.
        ckpt_interval (int, optional): Defaults to ``iters``.
        max_keep_ckpts (int, optional): Defaults to 1; None keeps all.
        val_interval (int): Defaults to 10 ** 9 (the last iteration only).

    Returns:
        dict: The options.
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    hooks = cfg.get('default_hooks') or {}
    ckpt = dict(
        _delete_=True,
        # the config's hook (AtomicCheckpointHook in hfpl-mm's configs)
        type=(hooks.get('checkpoint') or {}).get('type',
                                                 'CheckpointHook'),
        by_epoch=False,
        interval=ckpt_interval or iters)
    if max_keep_ckpts is not None:
        ckpt['max_keep_ckpts'] = max_keep_ckpts
    opts = {
        'train_cfg':
        dict(
            _delete_=True,
            type='IterBasedTrainLoop',
            max_iters=iters,
            val_interval=val_interval),
        'default_hooks.checkpoint':
        ckpt,
        'default_hooks.logger':
        dict(
            _delete_=True,
            type='LoggerHook',
            interval=log_interval or max(1, iters // 8),
            log_metric_by_epoch=False),
        'log_processor':
        dict(by_epoch=False),
    }
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    for i, s in enumerate(schedulers):
        if s.get('type') == 'PolyLR':
            opts[f'param_scheduler.{i}'] = dict(
                begin=0, end=iters, by_epoch=False)
    sampler = ((cfg.get('train_dataloader') or {}).get('sampler') or {})
    if sampler.get('type') == 'DefaultSampler':
        # an iteration loop reads an endless stream (mmengine restarts a
        # finite dataloader at every epoch, with a warning and a pause)
        opts['train_dataloader.sampler'] = dict(
            _delete_=True, type='InfiniteSampler',
            shuffle=sampler.get('shuffle', True))
    return opts


def unit_interval(text: str) -> float:
    """argparse type: a float in [0, 1] (a background threshold: CAM scores
    are min-max normalised, so 26 would make every pixel background)."""
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(
            f'{text} is not in [0, 1] (CAM scores are min-max normalised)')
    return value


def positive_float(text: str) -> float:
    """argparse type: a float > 0 (a scale, a power)."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f'{text} is not > 0')
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (iterations)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text} is not an integer')
    if value < 1:
        raise argparse.ArgumentTypeError(f'{text} is not >= 1')
    return value


def check_train_loop(cfg: Config) -> None:
    """Refuse a training loop that would train nothing: ``max_iters`` or
    ``max_epochs`` below 1 (mmengine exits 0 with no checkpoint)."""
    loop = cfg.get('train_cfg') or {}
    for key in ('max_iters', 'max_epochs'):
        value = loop.get(key)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(
                f'train_cfg.{key}={value!r}: a training run needs at least '
                f'one {key[4:-1]}; the run would save no checkpoint')


#: The package every hfpl-mm config imports (``custom_imports``).
PLUGIN = 'hfpl_mm'


def ensure_plugin_import(cfg: Config) -> Config:
    """Put ``hfpl_mm`` back into ``cfg.custom_imports`` when a config's own
    ``custom_imports`` replaced the shared base's (mmengine replaces lists
    when it merges configs), with a warning saying how to write it.

    The tools call it before they build a runner, so the config they run
    and dump into the work dir imports the plugin (a dumped config has no
    ``_base_`` and is all ``mim test mmseg`` sees). ``cfg`` is changed in
    place.

    Args:
        cfg (Config): A loaded config.

    Returns:
        Config: ``cfg``.
    """
    from mmengine.logging import print_log
    ci = cfg.get('custom_imports')
    imports = list((ci or {}).get('imports') or [])
    if PLUGIN in imports:
        return cfg
    fixed = [PLUGIN] + imports
    if imports:
        print_log(
            f'custom_imports {imports} of this config replaces hfpl-mm\'s '
            f"['{PLUGIN}'] (mmengine replaces lists when it merges a config "
            f'with its bases): {PLUGIN} added back. Write custom_imports = '
            f'dict(imports={fixed!r}, allow_failed_imports=False) so that '
            'every script (mim, mmseg\'s own) finds the hfpl-mm modules',
            logger='current', level=30)
    cfg.custom_imports = dict(
        imports=fixed,
        allow_failed_imports=(ci or {}).get('allow_failed_imports', False))
    return cfg
