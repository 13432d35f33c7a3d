using System.Runtime.CompilerServices;
using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.ClusterSweep.Tests;

/// <summary>Sets torch to one thread once per test process: reproducible, and what the rest of the solution's tests use.</summary>
internal static class TorchFixture
{
    [ModuleInitializer]
    internal static void Initialize() => FreeEnergyRuntime.SetThreadCount(1);
}
