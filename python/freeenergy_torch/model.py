"""The networks and functionals of FreeEnergy.Core, in PyTorch (>= 1.13).

Every name below mirrors src/FreeEnergy.Core/Internal/*.cs: the attribute names are the state_dict keys
(encoder.features.<i>, encoder.mean, encoder.logVariance, decoder.<i>, prior.means, prior.logVariances,
prior.logits, classifier), and the arithmetic mirrors RateDistortionModel.ForwardTrusted.
"""

import math

import torch
from torch import nn
import torch.nn.functional as F

LOG_TWO_PI = 1.8378770664093454835606594728112


class GaussianEncoder(nn.Module):
    """e(z|x) = N(mean(x), diag exp(logVariance(x))): a feature network and two linear heads."""

    def __init__(self, features, feature_size, latent_size):
        super().__init__()
        self.features = features
        self.mean = nn.Linear(feature_size, latent_size)
        self.logVariance = nn.Linear(feature_size, latent_size)

    def forward(self, x):
        h = self.features(x)
        return self.mean(h), self.logVariance(h)


def diagonal_gaussian_log_density(z, mean, log_variance):
    """log N(z; mean, diag exp(log_variance)) summed over the last dimension."""
    terms = (z - mean).square() * (-log_variance).exp() + log_variance + LOG_TWO_PI
    return terms.sum(-1) * -0.5


class StandardNormalPrior(nn.Module):
    """m(z) = N(0, I) with the analytic KL divergence 1/2 sum(mu^2 + sigma^2 - 1 - ln sigma^2). No parameters."""

    analytic = True

    def rate(self, mean, log_variance, z):
        return (mean.square() + log_variance.exp() - 1.0 - log_variance).sum(-1) * 0.5


class GaussianMixturePrior(nn.Module):
    """A learnable mixture of diagonal Gaussians; the rate is the mean over the K samples of log e(z|x) - log m(z)."""

    analytic = False

    def __init__(self, components, latent_size):
        super().__init__()
        self.means = nn.Parameter(torch.randn(components, latent_size))
        self.logVariances = nn.Parameter(torch.zeros(components, latent_size))
        self.logits = nn.Parameter(torch.zeros(components))

    def rate(self, mean, log_variance, z):
        log_encoder = diagonal_gaussian_log_density(z, mean, log_variance)  # [K, B]
        per_component = diagonal_gaussian_log_density(z.unsqueeze(-2), self.means, self.logVariances)  # [K, B, M]
        log_weights = F.log_softmax(self.logits, 0)
        log_prior = (per_component + log_weights).logsumexp(-1)  # [K, B]
        return (log_encoder - log_prior).mean(0)


def _mlp_encoder(c):
    layers = [nn.Flatten()]
    width = _elements(c)
    for hidden in c["hiddenSizes"]:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    return GaussianEncoder(nn.Sequential(*layers), width, c["latentSize"])


def _mlp_decoder(c):
    layers = []
    width = c["latentSize"]
    for hidden in reversed(c["hiddenSizes"]):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers += [nn.Linear(width, _elements(c)), nn.Unflatten(1, tuple(c["inputShape"]))]
    return nn.Sequential(*layers)


def _conv_encoder(c):
    """The authors' DCGAN-style encoder, for C x 28 x 28 or C x 32 x 32 inputs."""
    channels = c["inputShape"][0]
    third = nn.Conv2d(128, 256, 3, stride=2, padding=1) if c["inputShape"][1] == 28 else nn.Conv2d(128, 256, 4, stride=2, padding=1)
    features = nn.Sequential(
        nn.Conv2d(channels, 64, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride=2, padding=1),
        nn.BatchNorm2d(128),
        nn.LeakyReLU(0.2),
        third,
        nn.BatchNorm2d(256),
        nn.LeakyReLU(0.2),
        nn.Conv2d(256, 1024, 4, stride=1, padding=0),
        nn.BatchNorm2d(1024),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(1024, 512),
        nn.LeakyReLU(0.2))
    return GaussianEncoder(features, 512, c["latentSize"])


def _conv_decoder(c):
    """The authors' decoder: linear k -> 512 -> 1024, then transposed convolutions back to the input shape."""
    channels = c["inputShape"][0]
    second = nn.ConvTranspose2d(512, 256, 3, stride=2, padding=1) if c["inputShape"][1] == 28 else nn.ConvTranspose2d(512, 256, 4, stride=2, padding=1)
    return nn.Sequential(
        nn.Linear(c["latentSize"], 512),
        nn.ReLU(),
        nn.Linear(512, 1024),
        nn.ReLU(),
        nn.Unflatten(1, (1024, 1, 1)),
        nn.ConvTranspose2d(1024, 512, 4, stride=1, padding=0),
        nn.BatchNorm2d(512),
        nn.ReLU(),
        second,
        nn.BatchNorm2d(256),
        nn.ReLU(),
        nn.ConvTranspose2d(256, 128, 4, stride=2, padding=1),
        nn.BatchNorm2d(128),
        nn.ReLU(),
        nn.ConvTranspose2d(128, channels, 4, stride=2, padding=1))


def _elements(c):
    return math.prod(c["inputShape"])


class RateDistortionNetwork(nn.Module):
    """Encoder, decoder, prior and classifier of a FreeEnergy.Core model built from its configuration.

    `configuration` is the "configuration" object of the .config.json file the library writes beside
    exported weights (camelCase keys: inputShape, classes, architecture, hiddenSizes, latentSize, samples,
    likelihood, gaussianSigma, prior, mixtureComponents). PyTorch's default initialisation is used; load
    the library's weights with load_state_dict.
    """

    def __init__(self, configuration):
        super().__init__()
        c = dict(configuration)
        architecture = c.get("architecture", "mlp")
        if architecture == "mlp":
            self.encoder, self.decoder = _mlp_encoder(c), _mlp_decoder(c)
        elif architecture == "conv":
            if len(c["inputShape"]) != 3 or c["inputShape"][1] not in (28, 32) or c["inputShape"][1] != c["inputShape"][2]:
                raise ValueError(f"The conv architecture takes C x 28 x 28 or C x 32 x 32 inputs; got {c['inputShape']}.")
            self.encoder, self.decoder = _conv_encoder(c), _conv_decoder(c)
        else:
            raise ValueError(f"Unknown architecture {architecture!r}: expected 'mlp' or 'conv'.")
        prior = c.get("prior", "standardNormal")
        if prior == "gaussianMixture":
            self.prior = GaussianMixturePrior(c["mixtureComponents"], c["latentSize"])
        elif prior == "standardNormal":
            self.prior = StandardNormalPrior()
        else:
            raise ValueError(f"Unknown prior {prior!r}: expected 'standardNormal' or 'gaussianMixture'.")
        self.classifier = nn.Linear(c["latentSize"], c["classes"])
        self.configuration = c
        self.samples = int(c.get("samples", 1))
        self.latent_size = int(c["latentSize"])
        self.likelihood = c.get("likelihood", "bernoulli")
        self.sigma = float(c.get("gaussianSigma", 1.0))
        self.gaussian_constant = 0.5 * _elements(c) * math.log(2 * math.pi * self.sigma * self.sigma)


def batch_terms(network, x, y, epsilon):
    """One forward pass with the given standard normal draws epsilon [K, B, k].

    Returns (rate [B], distortion [K, B], classification [K, B], correct [K, B]) in nats: the library's
    BatchTerms. z = mean + exp(logVariance / 2) * epsilon.
    """
    samples, batch = epsilon.shape[0], x.shape[0]
    mean, log_variance = network.encoder(x)
    z = mean.unsqueeze(0) + (log_variance * 0.5).exp().unsqueeze(0) * epsilon
    flat_z = z.reshape(samples * batch, network.latent_size)
    reconstruction = network.decoder(flat_z).reshape(samples, batch, -1)
    target = x.reshape(1, batch, -1).expand(samples, batch, -1)
    if network.likelihood == "bernoulli":
        distortion = F.binary_cross_entropy_with_logits(reconstruction, target, reduction="none").sum(-1)
    else:
        distortion = (reconstruction - target).square().sum(-1) * (0.5 / (network.sigma * network.sigma)) + network.gaussian_constant
    logits = network.classifier(flat_z)
    labels = y.repeat(samples)
    classification = F.cross_entropy(logits, labels, reduction="none").reshape(samples, batch)
    rate = network.prior.rate(mean, log_variance, z)
    correct = logits.argmax(-1).eq(labels).to(rate.dtype).reshape(samples, batch)
    return rate, distortion, classification, correct


def functionals(network, inputs, labels, noise, batch_size=1000):
    """R, D, C (nats per example) and accuracy on (inputs, labels) with the z-noise `noise` [K, n, k].

    Like RateDistortionModel.Evaluate(data, noise, batchSize): evaluation mode, no gradients, batches in
    order, per-batch float32 sums [sum R, sum mean_K D, sum mean_K C, sum mean_K correct] added up in float64.
    """
    n = inputs.shape[0]
    expected = (network.samples, n, network.latent_size)
    if tuple(noise.shape) != expected:
        raise ValueError(f"The noise must have shape [K, n, k] = {list(expected)}; got {list(noise.shape)}.")
    was_training = network.training
    network.eval()
    totals = torch.zeros(4, dtype=torch.float64)
    try:
        with torch.no_grad():
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                rate, distortion, classification, correct = batch_terms(
                    network, inputs[start:stop], labels[start:stop], noise[:, start:stop])
                sums = torch.stack([rate.sum(), distortion.mean(0).sum(), classification.mean(0).sum(), correct.mean(0).sum()])
                totals += sums.to(torch.float64)
    finally:
        network.train(was_training)
    rate, distortion, classification, accuracy = (totals / n).tolist()
    return {"rate": rate, "distortion": distortion, "classification": classification, "accuracy": accuracy, "count": n}
