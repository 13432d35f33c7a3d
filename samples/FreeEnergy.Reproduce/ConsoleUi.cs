using System.Diagnostics;
using System.Globalization;
using FreeEnergy.Core.Workers;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace FreeEnergy.Reproduce;

/// <summary>
/// What the program shows, through Spectre.Console: live progress of every stage (bar, count, rate, elapsed time and
/// time left, the worker), the log lines above it, tables, and a summary table at the end. Colour and redrawing only
/// on a terminal that supports them; when a stream is redirected (a file, a CI log, a test) Spectre prints plain lines
/// (progress at 25, 50, 75 and 95–100%).
/// </summary>
internal sealed class ConsoleUi
{
    private readonly Lock gate = new();
    private readonly List<StageProgress> stages = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> units = new();
    private ProgressContext? context;

    /// <param name="output">Results and tables (standard output).</param>
    /// <param name="error">Progress and log lines (standard error).</param>
    public ConsoleUi(TextWriter output, TextWriter error)
    {
        Output = Create(output, ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected);
        Error = Create(error, ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected);
    }

    /// <summary>The console of results and tables.</summary>
    public IAnsiConsole Output { get; }

    /// <summary>The console of progress and log lines.</summary>
    public IAnsiConsole Error { get; }

    /// <summary>Runs <paramref name="work"/> under one live progress display; <see cref="Stage"/> adds its lines.</summary>
    public void Live(Action work)
    {
        Error.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 20 }, new CountAndRateColumn(units), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                lock (gate)
                {
                    context = ctx;
                }

                try
                {
                    work();
                }
                finally
                {
                    lock (gate)
                    {
                        context = null;
                    }
                }
            });
    }

    /// <summary>A progress line of <paramref name="total"/> <paramref name="unit"/> for a stage, named by the worker that runs it.</summary>
    public StageProgress Stage(string label, int total, string unit)
    {
        lock (gate)
        {
            int? worker = WorkerPool.CurrentWorker;
            string name = worker is int w ? string.Create(CultureInfo.InvariantCulture, $"[w{w}] {label}") : label;
            var task = context?.AddTask(Markup.Escape(name), maxValue: Math.Max(total, 1));
            if (task is not null)
            {
                units[task.Id] = unit;
            }

            var stage = new StageProgress(this, task, name, label, worker);
            stages.Add(stage);
            return stage;
        }
    }

    /// <summary>
    /// Writes one log line (above the live display while it runs). On a terminal, a line longer than the terminal is
    /// cut into rows of its width, each padded to it: a row that wrapped by itself would leave the end of an old
    /// progress line visible behind it.
    /// </summary>
    public void WriteLogLine(string line)
    {
        lock (gate)
        {
            if (!Error.Profile.Capabilities.Interactive)
            {
                Error.WriteLine(line);
                return;
            }

            int width = Math.Max(Error.Profile.Width - 1, 20);
            for (int start = 0; start < line.Length; start += width)
            {
                Error.WriteLine(line.Substring(start, Math.Min(width, line.Length - start)).PadRight(width));
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="renderable"/> (a table, text) to the results console; while the live display runs on
    /// the same terminal, through it (so that it lands above the progress lines).
    /// </summary>
    public void WriteResult(IRenderable renderable)
    {
        lock (gate)
        {
            ResultConsole.Write(renderable);
        }
    }

    /// <summary>Writes a plain line to the results console (see <see cref="WriteResult"/>).</summary>
    public void WriteResultLine(string line)
    {
        lock (gate)
        {
            ResultConsole.WriteLine(line);
        }
    }

    private IAnsiConsole ResultConsole => context is not null && Output.Profile.Capabilities.Interactive && Error.Profile.Capabilities.Interactive ? Error : Output;

    /// <summary>The stages run so far, with their worker, wall time and last detail, as a table (nothing when none ran).</summary>
    public void WriteSummary()
    {
        lock (gate)
        {
            if (stages.Count == 0)
            {
                return;
            }

            var table = new Table().Title("stages").AddColumns("stage", "worker", "done", "wall time", "last");
            foreach (var s in stages)
            {
                table.AddRow(
                    Markup.Escape(s.Label),
                    s.Worker is int w ? string.Create(CultureInfo.InvariantCulture, $"w{w}") : "-",
                    Markup.Escape(s.Count),
                    Markup.Escape(Format(s.Elapsed)),
                    Markup.Escape(s.LastDetail));
            }

            Output.Write(table);
        }
    }

    internal static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private static IAnsiConsole Create(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
        {
            console.Profile.Width = 1000; // a log file has no width: keep tables and lines unwrapped
        }

        return console;
    }

    /// <summary>One stage's line: its count, detail and clock.</summary>
    internal sealed class StageProgress(ConsoleUi ui, ProgressTask? task, string name, string label, int? worker) : IDisposable
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private int done;
        private bool finished;

        public string Label => label;

        public int? Worker => worker;

        public string LastDetail { get; private set; } = string.Empty;

        public TimeSpan Elapsed => clock.Elapsed;

        public string Count => string.Create(CultureInfo.InvariantCulture, $"{done}/{(int)(task?.MaxValue ?? done)}");

        /// <summary>Sets the number of finished units and the text after the name.</summary>
        public void Update(int completed, string detail)
        {
            lock (ui.gate)
            {
                done = completed;
                LastDetail = detail;
                if (task is not null)
                {
                    task.Value = Math.Min(completed, task.MaxValue);
                    task.Description = Markup.Escape($"{name}  {detail}");
                }
            }
        }

        /// <summary>Changes the text after the name.</summary>
        public void Detail(string detail)
        {
            lock (ui.gate)
            {
                LastDetail = detail;
                if (task is not null)
                {
                    task.Description = Markup.Escape($"{name}  {detail}");
                }
            }
        }

        /// <summary>Stops the stage's clock and marks its line done.</summary>
        public void Finish()
        {
            lock (ui.gate)
            {
                if (finished)
                {
                    return;
                }

                finished = true;
                clock.Stop();
                if (task is not null)
                {
                    task.Value = task.MaxValue;
                    task.StopTask();
                }
            }
        }

        public void Dispose() => Finish();
    }

    /// <summary>"3/12 points, 1.5/min": the count of finished units and their rate.</summary>
    private sealed class CountAndRateColumn(System.Collections.Concurrent.ConcurrentDictionary<int, string> units) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            string unit = units.GetValueOrDefault(task.Id, string.Empty);
            double elapsed = task.ElapsedTime?.TotalMinutes ?? 0;
            string rate = task.Value > 0 && elapsed > 0 ? string.Create(CultureInfo.InvariantCulture, $"{task.Value / elapsed:F1}/min") : "–/min";
            return new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value:F0}/{task.MaxValue:F0} {unit}, {rate}"));
        }
    }
}
