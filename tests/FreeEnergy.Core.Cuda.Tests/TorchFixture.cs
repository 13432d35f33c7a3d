using System.Runtime.CompilerServices;
using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>Sets torch to one thread once per test process: reproducible and fastest for small models on 2 cores.</summary>
internal static class TorchFixture
{
    [ModuleInitializer]
    internal static void Initialize() => FreeEnergyRuntime.SetThreadCount(1);
}
