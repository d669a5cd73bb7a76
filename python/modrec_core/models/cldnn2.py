"""CLDNN2 (SE-JNNet Table 6 baseline, 517,643 parameters at 2x128 / 11 classes): Conv2D 256 (1x3),
256 (2x3), 80 (1x3), 80 (1x3), LSTM(50), Dense(128), Dense(C).

The published count needs the LSTM to read 120-wide feature vectors: the reference Keras model
reshapes its (1, L-8, 80) channels-last feature map straight to (80, L-8), so each of 80 "steps"
mixes time and channels. We reproduce that reshape exactly, since the count says it is the model.
"""
from torch import nn

from . import papers
from .layers import run_rnn
from .registry import AMRModel, ModelSpec, register


@register(ModelSpec("cldnn2", papers.WANG_SE_JNNET, min_length=16))
class CLDNN2(AMRModel):
    def __init__(self, num_classes, length):
        super().__init__(num_classes, length)
        self.features = nn.Sequential(
            nn.Conv2d(1, 256, (1, 3)), nn.ReLU(), nn.Dropout(0.5),
            nn.Conv2d(256, 256, (2, 3)), nn.ReLU(), nn.Dropout(0.5),
            nn.Conv2d(256, 80, (1, 3)), nn.ReLU(), nn.Dropout(0.5),
            nn.Conv2d(80, 80, (1, 3)), nn.ReLU(), nn.Dropout(0.5))
        self.lstm = nn.LSTM(length - 8, 50, batch_first=True)
        self.dense = nn.Sequential(nn.Linear(50, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, num_classes))

    def forward(self, x):
        self.check_input(x)
        y = self.features(x.unsqueeze(1))  # (B, 80, 1, L - 8)
        y = y.permute(0, 2, 3, 1).reshape(x.shape[0], 80, self.length - 8)  # Keras' channels-last reshape
        _, (h, _) = run_rnn(self.lstm, y)
        return self.dense(h[-1])
