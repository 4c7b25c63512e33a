# Stage 3 on MS COCO 2014 as the reference (coco/config_coco2014.py): the
# VOC recipe of DeepLab-v1 on Wide ResNet-38 with 81 classes and 200k
# iterations; `tools/test.py CONFIG CKPT --tta` for multi-scale + flip + CRF.
_base_ = [
    '../_base_/models/deeplabv1_wr38-d8.py',
    '../_base_/datasets/coco14_pseudo.py',
    '../_base_/datasets/deeplabv1_reference_aug.py',
    '../_base_/default_runtime.py', '../_base_/schedules/deeplabv1_20k.py'
]
model = dict(decode_head=dict(num_classes=81))
train_dataloader = dict(
    batch_size=10,
    dataset=dict(pipeline=_base_.reference_train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.reference_test_pipeline))
test_dataloader = val_dataloader
tta_model = _base_.reference_tta_model
tta_pipeline = _base_.reference_tta_pipeline
crop_size = (448, 448)
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=200000,
         by_epoch=False)
]
train_cfg = dict(max_iters=200000, val_interval=20000)
default_hooks = dict(checkpoint=dict(interval=20000))
log_processor = dict(by_epoch=False)
