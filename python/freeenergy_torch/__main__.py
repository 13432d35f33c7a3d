"""Command line: python3 -m freeenergy_torch {evaluate,create} ... (see python/README.md).

evaluate: loads weights exported by FreeEnergy.Core (or by `create`) into the matching module and prints
          {"rate", "distortion", "classification", "accuracy", "count"} as JSON: nats per example, evaluated
          on the inputs/labels of a safetensors data file with its explicit z-noise.
create:   builds the module of a configuration file, trains it a few Adam steps on R + lambda D + gamma C
          (its own z-noise, torch.manual_seed), and saves its weights (and the configuration beside them).
"""

import argparse
import json
import sys

import torch

from .files import configuration_path, load_configuration, load_tensors, load_weights, save_configuration, save_weights
from .model import RateDistortionNetwork, batch_terms, functionals


def _data(path):
    tensors = load_tensors(path)
    missing = [name for name in ("inputs", "labels", "noise") if name not in tensors]
    if missing:
        raise ValueError(f"The data file '{path}' lacks the tensors {missing}; it needs inputs [n, ...], labels [n] (int64) and noise [K, n, k].")
    return tensors["inputs"], tensors["labels"], tensors["noise"]


def evaluate(arguments):
    configuration = load_configuration(arguments.configuration or arguments.weights)
    network = RateDistortionNetwork(configuration)
    network.load_state_dict(load_weights(arguments.weights), strict=True)
    inputs, labels, noise = _data(arguments.data)
    result = functionals(network, inputs, labels, noise, arguments.batch_size)
    result["torch"] = torch.__version__
    print(json.dumps(result))


def create(arguments):
    configuration = load_configuration(arguments.configuration)
    torch.manual_seed(arguments.seed)
    network = RateDistortionNetwork(configuration)
    if arguments.train_data:
        inputs, labels, _ = _data(arguments.train_data)
        optimiser = torch.optim.Adam(network.parameters(), lr=arguments.lr)
        network.train()
        n = inputs.shape[0]
        for step in range(arguments.steps):
            index = torch.randint(n, (min(arguments.batch_size, n),))
            epsilon = torch.randn(network.samples, index.shape[0], network.latent_size)
            rate, distortion, classification, _ = batch_terms(network, inputs[index], labels[index], epsilon)
            objective = (rate + arguments.lam * distortion.mean(0) + arguments.gamma * classification.mean(0)).mean()
            optimiser.zero_grad()
            objective.backward()
            optimiser.step()
    save_weights(network, arguments.out, arguments.format)
    save_configuration(configuration, configuration_path(arguments.out))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m freeenergy_torch", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    e = commands.add_parser("evaluate", help="R, D, C of exported weights on a data file with explicit noise")
    e.add_argument("--weights", required=True, help=".pt (torch.save state_dict) or .safetensors")
    e.add_argument("--configuration", help="the .config.json (default: the one beside the weights)")
    e.add_argument("--data", required=True, help="safetensors with inputs, labels, noise")
    e.add_argument("--batch-size", type=int, default=1000)
    e.set_defaults(run=evaluate)
    c = commands.add_parser("create", help="weights made in PyTorch for a configuration")
    c.add_argument("--configuration", required=True)
    c.add_argument("--out", required=True, help="weights file; .safetensors or .pt")
    c.add_argument("--format", choices=["state_dict", "safetensors"], help="default: by the extension of --out")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--train-data", help="safetensors with inputs, labels (noise unused): train on it")
    c.add_argument("--steps", type=int, default=20)
    c.add_argument("--batch-size", type=int, default=64)
    c.add_argument("--lr", type=float, default=1e-3)
    c.add_argument("--lam", type=float, default=1.0, help="lambda")
    c.add_argument("--gamma", type=float, default=1.0)
    c.set_defaults(run=create)
    arguments = parser.parse_args(argv)
    try:
        arguments.run(arguments)
    except (ValueError, RuntimeError, KeyError, OSError) as error:
        print(f"freeenergy_torch: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
