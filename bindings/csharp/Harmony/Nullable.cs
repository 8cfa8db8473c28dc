// Nullable annotations without C# 8 syntax. The public API says which members may be null with
// the System.Diagnostics.CodeAnalysis attributes ([MaybeNull], [AllowNull]) rather than `string?`,
// so that the same sources compile with Mono's mcs (-langversion:7.2, which has no `?` on
// reference types and ignores these attributes) and with the .NET SDK, where Harmony.csproj sets
// <Nullable>annotations</Nullable>: every other reference type in the API is then non-null.
// netstandard2.0 lacks the attributes; the compiler recognises these internal copies by name.
#if NETSTANDARD2_0
namespace System.Diagnostics.CodeAnalysis
{
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.ReturnValue, Inherited = false)]
    internal sealed class MaybeNullAttribute : Attribute
    {
    }

    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.Property, Inherited = false)]
    internal sealed class AllowNullAttribute : Attribute
    {
    }
}
#endif
