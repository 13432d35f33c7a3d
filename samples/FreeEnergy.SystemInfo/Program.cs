using FreeEnergy.SystemInfo;

var options = SystemInfoOptions.Parse(args, out string? error);
if (options is null)
{
    Console.Error.WriteLine(error);
    return 2;
}

return SystemReport.Run(Console.Out, options);
