using System.Runtime.CompilerServices;
using FreeEnergy.Core.Diagnostics;

namespace FreeEnergy.Testing;

/// <summary>
/// Sets torch to one thread once per test process: reproducible and fastest for small models on 2 cores, and the same
/// in every test project (linked into each from tests/Shared).
/// </summary>
internal static class TorchFixture
{
    [ModuleInitializer]
    internal static void Initialize() => FreeEnergyRuntime.SetThreadCount(1);
}
