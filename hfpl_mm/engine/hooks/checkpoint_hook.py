# Copyright (c) hfpl-mm contributors. All rights reserved.
import os
import os.path as osp
from collections import deque

from mmengine.dist import is_main_process
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from hfpl_mm.utils.atomic import atomic_write, remove_stale_tmp, tmp_path_for


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` that never loses the last checkpoint.

    mmengine removes the oldest kept checkpoint before it writes the new
    one and writes it under its real name: with ``max_keep_ckpts=1`` a kill
    during the save leaves no checkpoint and a ``last_checkpoint`` naming a
    deleted file, and a full disk leaves a truncated checkpoint under its
    real name. Here, on a local disk, a checkpoint is written to a hidden
    temporary name (:func:`~hfpl_mm.utils.atomic.tmp_path_for`) and renamed
    into place, then ``last_checkpoint`` is replaced atomically, and only
    then are the checkpoints beyond ``max_keep_ckpts`` removed. Temporary
    files a killed run left are removed when training starts. Other storage
    backends keep mmengine's behaviour.

    Takes the arguments of ``CheckpointHook``.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self._local() and is_main_process():
            removed = remove_stale_tmp(self.out_dir)
            if removed:
                print_log(
                    f'removed {removed} partial checkpoint(s) a killed run '
                    f'left in {self.out_dir}', logger='current')

    def _local(self) -> bool:
        return isinstance(getattr(self, 'file_backend', None), LocalBackend)

    def _save_checkpoint_with_step(self, runner, step, meta):
        if not self._local():
            return super()._save_checkpoint_with_step(runner, step, meta)
        ckpt_filename = self.filename_tmpl.format(step)
        final = osp.join(self.out_dir, ckpt_filename)
        tmp = tmp_path_for(final)
        self.last_ckpt = final
        runner.message_hub.update_info('last_ckpt', final)
        # the kept steps are recorded before the save, so the checkpoint
        # carries the list that includes itself; files go after the save
        drop = []
        if self.max_keep_ckpts > 0:
            keep = list(self.keep_ckpt_ids)
            if not keep or keep[-1] != step:
                keep.append(step)
            drop = [
                osp.join(self.out_dir, self.filename_tmpl.format(old))
                for old in keep[:-self.max_keep_ckpts]
            ]
            keep = keep[-self.max_keep_ckpts:]
            self.keep_ckpt_ids = deque(keep, self.max_keep_ckpts)
            runner.message_hub.update_info('keep_ckpt_ids', keep)
        try:
            runner.save_checkpoint(
                self.out_dir,
                osp.basename(tmp),
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise
        if is_main_process():
            os.replace(tmp, final)
            with atomic_write(osp.join(runner.work_dir,
                                       'last_checkpoint')) as t:
                with open(t, 'w') as f:
                    f.write(final)
            for path in drop:
                if path != final and osp.isfile(path):
                    os.remove(path)
