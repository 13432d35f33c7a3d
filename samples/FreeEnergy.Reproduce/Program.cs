// Reproduces the experiments of Gao & Chaudhari, "A Free-Energy Principle for Representation Learning", on the
// public API of FreeEnergy.Core: an equilibrium-surface sweep, an iso-classification process, transfer at
// constant classification loss, and the plots. Run with --help for the commands and options.
using FreeEnergy.Reproduce;
using FreeEnergy.Samples;

// The first Ctrl-C stops cleanly (finished records stay on disk); a second one kills the process.
using var cancellation = new ConsoleCancellation();
return ReproduceApp.Run(args, Console.Out, Console.Error, cancellation.Token);
