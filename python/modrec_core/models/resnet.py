"""ResNet backbones matching torchvision's definitions (v1.5: stride on the 3x3 convolution),
written here because PyPI's torchvision does not load beside the pinned CPU torch. `dims` picks
2-D (SigNet) or 1-D (SigNet2.0's first stages) layers; no pretrained weights."""
from torch import nn

LAYOUTS = {"resnet18": ("basic", (2, 2, 2, 2)), "resnet34": ("basic", (3, 4, 6, 3)),
           "resnet50": ("bottleneck", (3, 4, 6, 3)), "resnet101": ("bottleneck", (3, 4, 23, 3))}


def _ops(dims):
    if dims == 1:
        return nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.AdaptiveAvgPool1d
    return nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, c_in, width, stride, dims):
        super().__init__()
        conv, bn, _, _ = _ops(dims)
        self.conv1, self.bn1 = conv(c_in, width, 3, stride, 1, bias=False), bn(width)
        self.conv2, self.bn2 = conv(width, width, 3, 1, 1, bias=False), bn(width)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _downsample(c_in, width, stride, dims)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, c_in, width, stride, dims):
        super().__init__()
        conv, bn, _, _ = _ops(dims)
        self.conv1, self.bn1 = conv(c_in, width, 1, bias=False), bn(width)
        self.conv2, self.bn2 = conv(width, width, 3, stride, 1, bias=False), bn(width)
        self.conv3, self.bn3 = conv(width, width * 4, 1, bias=False), bn(width * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _downsample(c_in, width * 4, stride, dims)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


def _downsample(c_in, c_out, stride, dims):
    if stride == 1 and c_in == c_out:
        return None
    conv, bn, _, _ = _ops(dims)
    return nn.Sequential(conv(c_in, c_out, 1, stride, bias=False), bn(c_out))


def _check_width(width):
    if width < 1:
        raise ValueError(f"backbone width must be a positive channel count, not {width}")


def stem(c_in, dims, width=64):
    """torchvision's stage 1: 7x7/2 convolution, BN, ReLU, 3x3/2 max-pooling; `width` (64) channels out."""
    _check_width(width)
    conv, bn, pool, _ = _ops(dims)
    return nn.Sequential(conv(c_in, width, 7, 2, 3, bias=False), bn(width), nn.ReLU(inplace=True), pool(3, 2, 1))


def stage(kind, c_in, width, blocks, stride, dims):
    """One ResNet stage (torchvision's layerN); returns (module, channels out)."""
    block = BasicBlock if kind == "basic" else Bottleneck
    layers = [block(c_in, width, stride, dims)]
    c = width * block.expansion
    layers += [block(c, width, 1, dims) for _ in range(blocks - 1)]
    return nn.Sequential(*layers), c


def layout(name):
    """(block kind, blocks per stage) of a named backbone, or a clear error."""
    if name not in LAYOUTS:
        raise ValueError(f"unknown backbone {name!r}; known: {', '.join(LAYOUTS)}")
    return LAYOUTS[name]


def stages(name, c_in, first, dims, width=64):
    """ResNet stages 2..5 (torchvision's layer1..layer4) from index `first` on; (modules, channels out).
    `width` is layer1's channel count (torchvision: 64), doubled at each later stage."""
    kind, counts = layout(name)
    _check_width(width)
    mods, c = [], c_in
    for k in range(first, 4):
        mod, c = stage(kind, c, width * 2 ** k, counts[k], 1 if k == 0 else 2, dims)
        mods.append(mod)
    return nn.Sequential(*mods), c


def init_weights(module):
    """torchvision's initialisation: Kaiming-normal convolutions, unit BN scale."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

