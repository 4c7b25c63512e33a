# AffinityNet training data: train_aug images with affinity labels made by
# tools/make_affinity_labels.py (255 = unsure); set `affinity_label_dir`
# (relative to data_root unless absolute).
_base_ = ['./voc12_weak.py']
affinity_label_dir = 'AffinityLabels/hfpl'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=[(448, 448), (768, 768)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomCrop', crop_size=(448, 448)),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PseudoLabelDataset',
        data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path=affinity_label_dir),
        pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
test_dataloader = None
test_evaluator = None
