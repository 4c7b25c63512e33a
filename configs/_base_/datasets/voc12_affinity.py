# AffinityNet training data: train_aug images with the CRF score maps written
# by tools/make_affinity_labels.py (<id>.npz); set `affinity_label_dir`
# (relative to data_root unless absolute) through the dataset's
# data_prefix.seg_map_path. As the reference: random crop 448 and flip of
# image and score maps (no rescaling), colour jitter, then the label of every
# 8x8 block from the block-averaged scores.
_base_ = ['./voc12_weak.py']
affinity_label_dir = 'AffinityLabels/hfpl'
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAffinityScores'),
    dict(type='RandomCrop', crop_size=(448, 448)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='AffinityLabelFromScores', stride=8),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='AffinityLabelDataset',
        data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path=affinity_label_dir),
        pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
test_dataloader = None
test_evaluator = None
