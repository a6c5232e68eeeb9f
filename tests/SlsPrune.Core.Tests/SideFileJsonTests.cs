using SlsPrune.Core;
using SlsPrune.Core.Checkpoints;

namespace SlsPrune.Core.Tests;

/// <summary>A side file's key given twice is refused with its path, at any depth; the same key in two objects is not a repeat.</summary>
public class SideFileJsonTests
{
    [Theory]
    [InlineData("""{"a": 1, "a": 2}""", "key 'a' appears twice")]
    [InlineData("""{"size": {"height": 1, "height": 2}}""", "key 'size.height' appears twice")]
    [InlineData("""{"list": [{"x": 1}, {"x": 1, "x": 2}]}""", "key 'list[].x' appears twice")]
    public void A_key_given_twice_is_refused_by_path(string json, string problem)
    {
        var e = Assert.Throws<SlsInputException>(() => SideFileJson.Parse("f.json", json));
        Assert.Equal(("f.json", problem), (e.Subject, e.Problem));
    }

    [Fact]
    public void The_same_key_in_sibling_objects_is_read()
    {
        var o = SideFileJson.Parse("f.json", """{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 3}, {"x": 4}]}""");
        Assert.Equal(2, (int)o["b"]!["x"]!);
    }
}
