# The bundled default: a synthetic VOC-layout dataset that
# `python tools/make_synthetic_voc.py data/synthvoc` renders from a seed
# (6 VOC classes, 240 train / 60 val images of 160x160, GT masks for
# evaluation only). Same dataset class and pipeline as real VOC.
_base_ = ['./voc12_weak.py']
data_root = 'data/synthvoc'
crop_size = (128, 128)
train_pipeline = [
    dict(type='LoadCheckedImageFromFile'),
    dict(type='RandomResize', scale=[(128, 128), (192, 192)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackWeakSegInputs'),
]
train_dataloader = dict(
    num_workers=2,
    # our small-scale recipe keeps the last incomplete batch (its published
    # runs; the VOC / COCO configs drop it, as the reference)
    drop_last=False,
    # the synthetic configs train by iteration: an endless stream of
    # shuffled epochs (mmengine's InfiniteSampler)
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass')))
test_dataloader = val_dataloader
