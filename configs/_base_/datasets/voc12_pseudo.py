# Stage 3: VOC 2012 + SBD train_aug images with pseudo-label masks (checked
# at start by PseudoLabelDataset), evaluated on the VOC val GT with mIoU and
# the contour F-score. The pseudo-labels (the output of
# tools/make_pseudo_labels.py or tools/refine_random_walk.py) are read from
# PseudoLabels/ (relative to data_root unless absolute); point at others with
#   --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=DIR
# (a variable in a base file is resolved when the base is read, so a child
# config cannot change it: override the field itself).
_base_ = ['mmseg::_base_/datasets/pascal_voc12_aug.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PseudoLabelDataset',
        data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='PseudoLabels'),
        pipeline={{_base_.train_pipeline}}))
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='ContourFMetric'),
]
test_evaluator = val_evaluator
# before training: every pseudo-label value fits the heads' num_classes
custom_hooks = [dict(type='PseudoLabelClassCheckHook')]
