# AffinityNet (PSA) with a ResNet-50 backbone (for CAM / Puzzle-CAM CAMs),
# trained on the score maps of tools/make_affinity_labels.py. One config
# serves every CAM method: the maps are read from data_root/AffinityLabels
# unless overridden, e.g. for the hfpl-cam CAMs
#   python tools/train.py configs/affinity/affnet_r50-d8_1xb8-8e_voc12aug-448x448.py \
#       --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=AffinityLabels/hfpl-cam
_base_ = [
    '../_base_/models/affnet_r50-d8.py',
    '../_base_/datasets/voc12_affinity.py', '../_base_/default_runtime.py',
    '../_base_/schedules/affinity_8e.py'
]
