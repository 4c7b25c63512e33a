# CAMs and pseudo-labels of the first 4 validation images in the training
# dashboards, at every validation run (CAMVisualizationHook): list this file
# after the CAM config in your config's _base_ (docs/stage1_cams.md, "See
# CAMs during training"). The panels go to the visualizer of mmseg's
# default runtime, whose LocalVisBackend writes PNG files under the run's
# vis_data/; add dict(type='TensorboardVisBackend') (needs tensorboard) or
# dict(type='WandbVisBackend') to its vis_backends to see them there. A
# config with custom_hooks of its own lists this hook there too.
custom_hooks = [dict(type='CAMVisualizationHook', interval=1, num_images=4)]
