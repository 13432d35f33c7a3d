namespace FreeEnergy.Core.Diagnostics;

/// <summary>
/// Thrown when TorchSharp's native libraries cannot be loaded. The message names the most likely cause
/// and the fix (for example a missing backend package, or a host C++ runtime that is too old); the
/// original TorchSharp error is kept as <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class FreeEnergyBackendException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FreeEnergyBackendException()
        : base("TorchSharp's native backend could not be loaded.")
    {
        Cause = BackendFailureCause.Unknown;
    }

    /// <summary>Creates the exception with a message.</summary>
    public FreeEnergyBackendException(string message)
        : base(message)
    {
        Cause = BackendFailureCause.Unknown;
    }

    /// <summary>Creates the exception with a message and the original error.</summary>
    public FreeEnergyBackendException(string message, Exception innerException)
        : base(message, innerException)
    {
        Cause = BackendFailureCause.Unknown;
    }

    /// <summary>Creates the exception with a diagnosed cause.</summary>
    /// <param name="cause">The diagnosed cause.</param>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="innerException">The original TorchSharp error, if any.</param>
    public FreeEnergyBackendException(BackendFailureCause cause, string message, Exception? innerException)
        : base(message, innerException)
    {
        Cause = cause;
    }

    /// <summary>The diagnosed cause of the failure.</summary>
    public BackendFailureCause Cause { get; }
}
