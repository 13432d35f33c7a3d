"""R, D, C in PyTorch of weights exported by FreeEnergy.Core, on the images and z-noise saved beside them."""
import sys

import torch

import freeenergy_torch as fe

weights, data = sys.argv[1], sys.argv[2]                              # model.safetensors (or .pt), data.safetensors
network = fe.RateDistortionNetwork(fe.load_configuration(weights))    # built from model.config.json
network.load_state_dict(fe.load_weights(weights), strict=True)        # the library's names: encoder.features.1.weight, ...
tensors = fe.load_tensors(data)                                       # inputs [n, 1, 28, 28], labels [n], noise [K, n, k]
f = fe.functionals(network, tensors["inputs"], tensors["labels"], tensors["noise"])
print(f"R = {f['rate']:.4f}, D = {f['distortion']:.4f}, C = {f['classification']:.4f} nats (torch {torch.__version__})")

if weights.endswith(".pt"):                                           # a .pt file is a plain state_dict
    assert set(torch.load(weights).keys()) == set(network.state_dict().keys())
