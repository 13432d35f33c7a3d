#!/usr/bin/python3
"""PyTorch side of the `pytorch` benchmark (benchmarks/FreeEnergy.Benchmarks/PyTorchComparison.cs).

The same model, loss and Adam update as FreeEnergy.Core's EquilibriumTrainer.Train on a RateDistortionModel
(and as RawTrainingLoop.cs): Gaussian encoder (default MLP 784-512-256-16, or the authors' conv model of
NetworkFactory.cs), K reparameterised samples of z, Bernoulli decoder scored with
binary_cross_entropy_with_logits summed over pixels (D), linear classifier with cross-entropy (C), analytic
KL to N(0, I) (R), J = mean(R + lambda * mean_K D + gamma * mean_K C), a fresh Adam(1e-3, 0.9, 0.999) per
block (as Train builds one per call), then one no-grad evaluation of J on 64 held-out images (as Train
checks convergence after each epoch). Inputs: the shipped Fashion-MNIST test split (pixel byte / 255).

Modes:
  step.py serve DATA_DIR THREADS BLAS_THREADS
                             torch.set_num_threads(THREADS) and OpenBLAS's thread count (which torch 1.13 does
                             not set) once, then reads one JSON request per line on stdin,
                             {"side": "pytorch"|"phases", "model": "mlp"|"conv", "samples": K, "steps": S}
                             ("phases": the steps with forward, backward and optimiser timed apart), runs one block of S steps and writes one JSON line
                             {"wall": seconds, "cpu": process CPU seconds, "loss": last J}.
  step.py profile DATA_DIR MODEL K THREADS STEPS   (OpenBLAS threads = THREADS)
                             torch.profiler over STEPS steps after a warm-up; prints the operator table.

Run it with Debian's python3-torch (/usr/bin/python3), not a pyenv python without torch.
"""
import ctypes
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 64


def openblas():
    """The OpenBLAS that torch loaded (Debian's libblas.so.3 alternative), or None: torch.set_num_threads
    does not set its thread count, which otherwise is the number of cores."""
    try:
        library = ctypes.CDLL("libblas.so.3")
        library.openblas_get_num_threads()
        return library
    except (OSError, AttributeError):
        return None


OPENBLAS = openblas()


def set_threads(threads, blas_threads):
    torch.set_num_threads(threads)
    if OPENBLAS is not None:
        OPENBLAS.openblas_set_num_threads(blas_threads)


def load(data_dir):
    with gzip.open(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


class Network(nn.Module):
    def __init__(self, conv, latent=16, classes=10):
        super().__init__()
        if conv:
            self.features = nn.Sequential(
                nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                nn.Conv2d(128, 256, 3, stride=2, padding=1), nn.BatchNorm2d(256), nn.LeakyReLU(0.2),
                nn.Conv2d(256, 1024, 4, stride=1, padding=0), nn.BatchNorm2d(1024), nn.LeakyReLU(0.2),
                nn.Flatten(), nn.Linear(1024, 512), nn.LeakyReLU(0.2))
            width = 512
            self.decoder = nn.Sequential(
                nn.Linear(latent, 512), nn.ReLU(), nn.Linear(512, 1024), nn.ReLU(), nn.Unflatten(1, (1024, 1, 1)),
                nn.ConvTranspose2d(1024, 512, 4, stride=1, padding=0), nn.BatchNorm2d(512), nn.ReLU(),
                nn.ConvTranspose2d(512, 256, 3, stride=2, padding=1), nn.BatchNorm2d(256), nn.ReLU(),
                nn.ConvTranspose2d(256, 128, 4, stride=2, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
                nn.ConvTranspose2d(128, 1, 4, stride=2, padding=1))
        else:
            self.features = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU())
            width = 256
            self.decoder = nn.Sequential(
                nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784),
                nn.Unflatten(1, (1, 28, 28)))
        self.mean = nn.Linear(width, latent)
        self.log_variance = nn.Linear(width, latent)
        self.classifier = nn.Linear(latent, classes)
        self.latent = latent

    def loss(self, x, y, samples, noise, lam=1.0, gamma=1.0):
        batch = x.shape[0]
        h = self.features(x)
        mean = self.mean(h)
        log_variance = self.log_variance(h)
        epsilon = torch.randn(samples, batch, self.latent, generator=noise)
        z = mean.unsqueeze(0) + (log_variance * 0.5).exp().unsqueeze(0) * epsilon
        flat_z = z.reshape(samples * batch, self.latent)
        reconstruction = self.decoder(flat_z).reshape(samples, batch, -1)
        target = x.reshape(1, batch, -1).expand(samples, batch, -1)
        distortion = F.binary_cross_entropy_with_logits(reconstruction, target, reduction="none").sum(-1)
        logits = self.classifier(flat_z)
        classification = F.cross_entropy(logits, y.repeat(samples), reduction="none").reshape(samples, batch)
        rate = mean.square().add_(log_variance.exp()).sub_(1.0).sub_(log_variance).sum(-1).mul_(0.5)
        per_example = rate + distortion.mean(0) * lam
        if gamma != 0:
            per_example = per_example + classification.mean(0) * gamma
        return per_example.mean()


class Runner:
    def __init__(self, data_dir):
        self.x, self.y = load(data_dir)
        self.networks = {}
        self.shuffle = torch.Generator().manual_seed(3)
        self.noise = torch.Generator().manual_seed(2)
        self.eval_x = self.x[-BATCH:]
        self.eval_y = self.y[-BATCH:]

    def network(self, model):
        if model not in self.networks:
            torch.manual_seed(1)
            self.networks[model] = Network(model == "conv")
        return self.networks[model]

    def block(self, model, samples, steps, phases=None):
        """One block as Train runs it: a permutation of steps * 64 images, steps Adam steps, one evaluation.
        With a list `phases`, adds the seconds of [forward, backward, optimiser] to it and skips the evaluation."""
        net = self.network(model)
        net.train()
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999))
        count = steps * BATCH
        order = torch.randperm(count, generator=self.shuffle)
        loss = None
        for start in range(0, count, BATCH):
            index = order[start:start + BATCH]
            x = self.x.index_select(0, index)
            y = self.y.index_select(0, index)
            if phases is None:
                optimizer.zero_grad()
                loss = net.loss(x, y, samples, self.noise)
                loss.backward()
                optimizer.step()
                continue
            t0 = time.perf_counter()
            loss = net.loss(x, y, samples, self.noise)
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            optimizer.step()
            optimizer.zero_grad()
            t3 = time.perf_counter()
            phases[0] += t1 - t0
            phases[1] += t2 - t1
            phases[2] += t3 - t2
        if phases is not None:
            return float(loss)
        net.eval()
        with torch.no_grad():
            net.loss(self.eval_x, self.eval_y, samples, torch.Generator().manual_seed(0))
        net.train()
        return float(loss)


def serve(data_dir, threads, blas_threads):
    set_threads(threads, blas_threads)
    runner = Runner(data_dir)
    print(json.dumps({"ready": True, "torch": torch.__version__, "openblas": OPENBLAS is not None,
                      "parallel": torch.__config__.parallel_info().splitlines()[:8]}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request = json.loads(line)
        cpu = time.process_time()
        wall = time.perf_counter()
        phases = [0.0, 0.0, 0.0] if request.get("side") == "phases" else None
        loss = runner.block(request["model"], int(request["samples"]), int(request["steps"]), phases)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        answer = {"wall": wall, "cpu": cpu, "loss": loss}
        if phases is not None:
            answer.update(forward=phases[0], backward=phases[1], optimizer=phases[2])
        print(json.dumps(answer), flush=True)


def profile(data_dir, model, samples, threads, steps):
    from torch.profiler import profile as torch_profile, ProfilerActivity
    set_threads(threads, threads)
    runner = Runner(data_dir)
    runner.block(model, samples, 4)
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        runner.block(model, samples, steps)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=40))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) == 7 and sys.argv[1] == "profile":
        profile(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
