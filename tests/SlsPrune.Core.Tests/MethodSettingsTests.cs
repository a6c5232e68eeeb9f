using SlsPrune.Core.Pruning;

namespace SlsPrune.Core.Tests;

/// <summary><see cref="MethodSettings"/> finds a method's settings by reflection, for start-up's sake; what it finds must
/// be what its JSON serializer reads and writes, key for key and in the same order, for every registered method.</summary>
public class MethodSettingsTests
{
    private static Type OptionsOf(IPruneMethod method)
    {
        for (var t = method.GetType(); t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(PruneMethod<>)) return t.GetGenericArguments()[0];
        throw new InvalidOperationException($"{method.Name} is not a PruneMethod<TOptions>");
    }

    [Fact]
    public void Every_method_s_settings_are_the_keys_its_serializer_uses_in_its_order()
    {
        Assert.True(PruneMethods.All.Count >= 7);
        foreach (var method in PruneMethods.All)
        {
            var options = OptionsOf(method);
            var json = MethodSettings.Json.GetTypeInfo(options).Properties.Select(p => p.Name).ToList();
            Assert.NotEmpty(json);
            Assert.Equal(json, MethodSettings.Properties(options).Select(MethodSettings.Key));
            Assert.Equal(json, method.SettingNames);
            Assert.Equal(json, method.Settings.Select(s => s.Key));
            // the types too: what Describe reports is what the serializer reads
            var types = MethodSettings.Json.GetTypeInfo(options).Properties.Select(p => Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType);
            Assert.Equal(types, method.Settings.Select(s => s.Type));
        }
    }
}
