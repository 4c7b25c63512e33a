# Copyright (c) hfpl-mm contributors. All rights reserved.
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


@HOOKS.register_module()
class PseudoLabelClassCheckHook(Hook):
    """Before training, check that the labels found in the pseudo-label
    folder fit the model: every value below each head's ``num_classes``
    (or the ignore index). A mismatch would otherwise fail mid-training with
    an IndexError in the loss, naming no file.

    It reads ``max_label`` / ``max_label_file`` of the training dataset,
    which :class:`PseudoLabelDataset` records when it validates its folder
    (``validate='full'``); other datasets are left alone.
    """

    def before_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        max_label = getattr(dataset, 'max_label', None)
        if max_label is None:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        heads = [('decode_head', getattr(model, 'decode_head', None))]
        aux = getattr(model, 'auxiliary_head', None)
        aux = aux if isinstance(aux, (list, tuple)) else [aux]
        heads += [(f'auxiliary_head[{i}]', h) for i, h in enumerate(aux)]
        for name, head in heads:
            n = getattr(head, 'num_classes', None)
            if n is not None and max_label >= n:
                raise ValueError(
                    f'{dataset.max_label_file}: label {max_label} does not '
                    f'fit model.{name}.num_classes={n}; set num_classes to '
                    'the dataset\'s class count '
                    f'({len(dataset.metainfo["classes"])}) or fix the labels')
