namespace FreeEnergy.Core.Cuda.Tests;

/// <summary>The TF32 switches are libtorch's global flags (readable and settable on a CPU build too).</summary>
public sealed class TensorFloat32Tests
{
    [Fact]
    public void TheSwitchesSetAndReadBackTorchsFlags()
    {
        bool matMul = TensorFloat32.MatMul;
        bool cudnn = TensorFloat32.Cudnn;
        try
        {
            TensorFloat32.Set(true);
            Assert.True(TorchSharp.torch.backends.cuda.matmul.allow_tf32);
            Assert.True(TorchSharp.torch.backends.cudnn.allow_tf32);
            TensorFloat32.MatMul = false;
            Assert.False(TorchSharp.torch.backends.cuda.matmul.allow_tf32);
            Assert.True(TensorFloat32.Cudnn);
            TensorFloat32.Cudnn = false;
            Assert.False(TorchSharp.torch.backends.cudnn.allow_tf32);
        }
        finally
        {
            TensorFloat32.MatMul = matMul;
            TensorFloat32.Cudnn = cudnn;
        }
    }

    [Fact]
    public void AScopeRestoresThePreviousValues()
    {
        bool matMul = TensorFloat32.MatMul;
        bool cudnn = TensorFloat32.Cudnn;
        using (TensorFloat32.Scope(!matMul))
        {
            Assert.Equal(!matMul, TensorFloat32.MatMul);
            Assert.Equal(!matMul, TensorFloat32.Cudnn);
        }

        Assert.Equal(matMul, TensorFloat32.MatMul);
        Assert.Equal(cudnn, TensorFloat32.Cudnn);
    }
}
