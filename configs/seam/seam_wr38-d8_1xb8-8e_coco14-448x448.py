# SEAM on MS COCO 2014 (80 classes), as the reference's train_cam_coco.py:
# the VOC recipe (Wide ResNet-38, 448 crops, batch 8, 8 epochs) on COCO data.
_base_ = [
    '../_base_/models/seam_wr38-d8.py', '../_base_/datasets/coco14_weak.py',
    '../_base_/default_runtime.py', '../_base_/schedules/poly_8e.py'
]
model = dict(decode_head=dict(num_classes=80))
