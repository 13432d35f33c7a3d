using System.Globalization;
using FreeEnergy.Core.Workers;
using Microsoft.Extensions.Logging;

namespace FreeEnergy.Reproduce;

/// <summary>
/// Log lines written through <see cref="ConsoleUi"/>, so that they appear above the live progress display instead of
/// through it: "HH:mm:ss info: category[event] message", with the worker (w0, w1, …) that logged it.
/// </summary>
internal sealed class ConsoleUiLoggerProvider(ConsoleUi ui) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(ui, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ConsoleUi ui, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string level = logLevel switch
            {
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "fail",
                LogLevel.Critical => "crit",
                _ => "dbug",
            };
            string worker = WorkerPool.CurrentWorker is int w ? string.Create(CultureInfo.InvariantCulture, $" w{w}") : string.Empty;
            string message = formatter(state, exception) + (exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})");
            ui.WriteLogLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss} {level}{worker}: {category}[{eventId.Id}] {message}"));
        }
    }
}
