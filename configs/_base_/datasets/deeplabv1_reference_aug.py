# The reference's data for its final network (lib/datasets of arvijj/hfpl):
# training: random HSV shift (10, 10, 10), flip, random rescale 0.5-1.5
# (bicubic), a 448 crop that pads at a random position (the mean colour,
# labels 255), batches of 10; testing at the original size, and with --tta
# at scales 0.5-1.75 (bicubic) + flip, logits averaged, softmax, dense CRF
# (CRFSegTTAModel). A config that inherits this and a dataset base sets
#   tta_model = _base_.reference_tta_model
#   tta_pipeline = _base_.reference_tta_pipeline
# (the dataset bases define mmseg's tta_pipeline).
reference_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomHSVShift', hue=10, saturation=10, value=10),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomRescale', ratio_range=(0.5, 1.5)),
    dict(
        type='RandomCropOrPad',
        crop_size=(448, 448),
        pad_val=(103.53, 116.28, 123.675),  # the mean, BGR
        seg_pad_val=255),
    dict(type='PackSegInputs'),
]
reference_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
tta_img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
reference_tta_model = dict(type='CRFSegTTAModel')
reference_tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale_factor=r, keep_ratio=True,
                     interpolation='bicubic') for r in tta_img_ratios
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')],
        ])
]
