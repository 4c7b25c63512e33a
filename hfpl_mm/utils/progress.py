# Copyright (c) hfpl-mm contributors. All rights reserved.
"""A progress bar with ETA that ends its line when done."""
from mmengine.utils import ProgressBar


class ProgressLine:
    """mmengine's :class:`ProgressBar` (count, rate, elapsed, ETA) when
    ``show``, else nothing; :meth:`close` ends the bar's line, which
    mmengine leaves open, so the next log message starts on its own line.

    Args:
        total (int): The number of steps.
        show (bool): Draw the bar. Defaults to True.
    """

    def __init__(self, total: int, show: bool = True) -> None:
        self.bar = ProgressBar(total) if show and total else None

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.file.write('\n')
            self.bar.file.flush()
