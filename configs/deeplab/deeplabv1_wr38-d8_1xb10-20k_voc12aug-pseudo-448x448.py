# Stage 3 as the reference: DeepLab-v1 (LargeFOV) on Wide ResNet-38 trained
# on pseudo-labels (PseudoLabels/ under data_root unless
# train_dataloader.dataset.data_prefix.seg_map_path is overridden) with the
# reference's augmentation and schedule (lr 1e-3, batch 10, crop 448, 20k
# iterations), evaluated on VOC val; `tools/test.py CONFIG CKPT --tta` tests
# it as the reference (multi-scale + flip + CRF).
_base_ = [
    '../_base_/models/deeplabv1_wr38-d8.py',
    '../_base_/datasets/voc12_pseudo.py',
    '../_base_/datasets/deeplabv1_reference_aug.py',
    '../_base_/default_runtime.py', '../_base_/schedules/deeplabv1_20k.py'
]
train_dataloader = dict(
    batch_size=10,
    dataset=dict(pipeline=_base_.reference_train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.reference_test_pipeline))
test_dataloader = val_dataloader
tta_model = _base_.reference_tta_model
tta_pipeline = _base_.reference_tta_pipeline
crop_size = (448, 448)
log_processor = dict(by_epoch=False)
