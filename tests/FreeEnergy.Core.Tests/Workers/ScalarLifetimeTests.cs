using System.Reflection;
using System.Reflection.Emit;
using FreeEnergy.Core.Internal;
using FreeEnergy.Core.Models;
using FreeEnergy.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace FreeEnergy.Core.Tests.Workers;

/// <summary>
/// TorchSharp turns a .NET number into a native Scalar freed by a finalizer and passes only its handle to libtorch, so
/// a garbage collection started by another worker can free it mid-call (a use after free: "Unknown scalar type").
/// The library must hold every Scalar it hands to libtorch (ScalarArithmetic); these tests read its IL for calls
/// that would convert a number implicitly, directly or inside the TorchSharp member called.
/// </summary>
public sealed class ScalarLifetimeTests
{
    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    // TorchSharp's call graph, scanned once for all the tests here.
    private static readonly Lazy<HashSet<(Module, int)>> Converting = new(ConvertingTorchSharpMembers);

    [Theory]
    [InlineData(typeof(RateDistortionModel))]
    [InlineData(typeof(FashionMnist))]
    public void NoLibraryCodeHandsLibtorchAScalarThatNothingHolds(Type inAssembly)
    {
        var converting = Converting.Value;
        var offenders = AllMethods(inAssembly.Assembly)
            .SelectMany(m => Callees(m).Where(c => converting.Contains(Key(c))).Select(c => $"{m.DeclaringType!.FullName}.{m.Name} calls {c.DeclaringType!.Name}.{c.Name}({string.Join(", ", c.GetParameters().Select(p => p.ParameterType.Name))})"))
            .Distinct()
            .ToList();

        Assert.True(offenders.Count == 0, "Implicit number-to-Scalar conversions (use ScalarArithmetic, or a Scalar held in a using):\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void TheScanFindsTheConversionsItLooksFor()
    {
        // The scan itself must see a conversion: TorchSharp's number overloads, and defaults such as add's alpha.
        var converting = Converting.Value;
        var flagged = Callees(typeof(ScalarLifetimeTests).GetMethod(nameof(ConvertsImplicitly), Everything)!).Where(c => converting.Contains(Key(c))).Select(c => c.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "op_Multiply", "op_Addition", "add_", "square" }, flagged);
        Assert.DoesNotContain(Callees(typeof(ScalarLifetimeTests).GetMethod(nameof(HoldsItsScalars), Everything)!), c => converting.Contains(Key(c)));
    }

    [Fact]
    public void HeldScalarsGiveTheSameNumbersAsTheImplicitOnes()
    {
        using var scope = NewDisposeScope();
        var x = linspace(-3, 3, 101);
        Assert.Equal(ConvertsImplicitly(x).data<float>().ToArray(), HoldsItsScalars(x).data<float>().ToArray());
    }

    private static Tensor ConvertsImplicitly(Tensor x) => ((x * 0.5).add_(1.25) + x.square()).add_(x);

    private static Tensor HoldsItsScalars(Tensor x) => x.Times(0.5).PlusInPlace(1.25).Plus(x.Squared()).PlusInPlace(x);

    /// <summary>Scalar's implicit conversions and every TorchSharp member that calls one, directly or through other TorchSharp members (the number overloads of operators and methods, and defaults such as alpha = 1).</summary>
    private static HashSet<(Module, int)> ConvertingTorchSharpMembers()
    {
        var implicitConversions = typeof(Scalar).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.Name == "op_Implicit").Select(Key).ToHashSet();
        var callees = AllMethods(typeof(Scalar).Assembly).ToDictionary(Key, m => Callees(m).Select(Key).ToList());
        var converting = new HashSet<(Module, int)>(implicitConversions);
        for (bool grew = true; grew;)
        {
            // A member converts if it calls one that does: tensor + tensor calls add(tensor), which passes alpha = 1.
            var found = callees.Where(m => !converting.Contains(m.Key) && m.Value.Any(converting.Contains)).Select(m => m.Key).ToList();
            converting.UnionWith(found);
            grew = found.Count > 0;
        }

        return converting;
    }

    private static (Module, int) Key(MethodBase method) => (method.Module, method.MetadataToken);

    private static IEnumerable<MethodBase> AllMethods(Assembly assembly) => assembly.GetTypes()
        .SelectMany(t => t.GetMethods(Everything).Cast<MethodBase>().Concat(t.GetConstructors(Everything)));

    /// <summary>The methods that <paramref name="method"/>'s IL calls (call, callvirt, newobj, ldftn).</summary>
    private static List<MethodBase> Callees(MethodBase method)
    {
        var callees = new List<MethodBase>();
        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            return callees;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            var op = il[i] == 0xFE ? OpCodesByValue[unchecked((short)(0xFE00 | il[i + 1]))] : OpCodesByValue[il[i]];
            i += op.Size;
            if (op.OperandType == OperandType.InlineMethod)
            {
                callees.Add(method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArguments, methodArguments)!);
            }

            i += OperandBytes(op.OperandType, il, i);
        }

        return callees;
    }

    private static int OperandBytes(OperandType type, byte[] il, int at) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
        _ => 4,
    };
}
