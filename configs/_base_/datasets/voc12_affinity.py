# AffinityNet training data: train_aug images with the CRF score maps written
# by tools/make_affinity_labels.py (<id>.npz) under AffinityLabels/ (relative
# to data_root unless absolute). Point it at another method's labels with
#   --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=DIR
# (a variable in a base file is resolved when the base is read, so a child
# config cannot change it: override the field itself). As the reference: random crop 448 and flip of
# image and score maps (no rescaling), colour jitter, then the label of every
# 8x8 block from the block-averaged scores.
_base_ = ['./voc12_weak.py']
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='LoadAffinityScores'),
    dict(type='RandomCrop', crop_size=(448, 448)),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='mmpretrain.ColorJitter',
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        hue=0.1),
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
            img_path='JPEGImages', seg_map_path='AffinityLabels'),
        pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
test_dataloader = None
test_evaluator = None
