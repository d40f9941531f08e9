"""
Spectrogram images on disk
==========================

Image networks and many published workflows read spectrograms as PNG files,
one folder per kind. :func:`~audiosk.images.write_spectrogram_images`
writes them for a list of files (linear, log-frequency and Mel here), and a
second run keeps what is already there: the job resumes after a crash and
only redraws images whose audio file changed.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from audiosk.datasets import load_spoken_digits
from audiosk.images import write_spectrogram_images

digits = load_spoken_digits()
files = [digits.filenames[i] for i in (0, 60, 120)]
folder = Path(tempfile.mkdtemp())
settings = dict(sr=8000, n_fft=256, hop_length=32, n_mels=40, n_bins=64, fmin=60.0)
report = write_spectrogram_images(files, folder, **settings)
print(report[["kind", "status"]].value_counts().to_string())
print(sorted(str(p.relative_to(folder)) for p in folder.rglob("*.png"))[:3], "...")
again = write_spectrogram_images(files, folder, **settings)
print("second run:", again["status"].value_counts().to_dict())

# %%
# The images as a network would read them: the spectrogram alone, 432 x 288
# pixels.
kinds = ["linear", "log", "mel"]
fig, axes = plt.subplots(len(files), 3, figsize=(10, 6), layout="constrained")
for row, file in zip(axes, files, strict=True):
    for ax, kind in zip(row, kinds, strict=True):
        ax.imshow(plt.imread(folder / kind / f"{Path(file).stem}.png"))
        ax.set_title(f"{kind}/{Path(file).stem}.png", fontsize=9)
        ax.set_axis_off()
plt.show()
