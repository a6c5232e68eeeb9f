using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlsPrune.Core.Indexing;

/// <summary>How a prune method writes, reads and checks its section of an index (<see cref="IIndexSection"/>): a
/// JSON object under the method's name with the section's own <c>version</c>. A method gives one
/// (<c>IPruneMethod.Section</c>); <see cref="IndexSections"/> finds it by the index's <c>method</c>.</summary>
public interface IIndexSectionFormat
{
    /// <summary>The version of the section this tool writes (and the newest it reads).</summary>
    int Version { get; }

    /// <summary>The fields of version 1 and 2 indexes, kept at the top level then, that are this section's now
    /// (snake_case); they move into the section when such a file is read.</summary>
    IReadOnlyCollection<string> LegacyFields { get; }

    /// <summary>The section from its JSON (without <c>version</c>), checked.</summary>
    /// <exception cref="SlsInputException">naming the file and the field as the file spells it (<see cref="SectionSource.Field"/>).</exception>
    IIndexSection Read(JsonObject json, SectionSource source);

    /// <summary>The section's JSON, <c>version</c> first.</summary>
    JsonObject Write(IIndexSection section);
}

/// <summary>Where a section is read from: the index file, how its fields are spelled there (<see cref="Prefix"/>:
/// <c>sls.</c> in a version 3 index, empty for the top-level fields of versions 1 and 2) and the common fields
/// already read and checked (depth, kept blocks).</summary>
public sealed record SectionSource(string Path, string Prefix, PruningIndex Index)
{
    /// <summary>A field's name as the file spells it: <c>sls.scores</c>, or <c>scores</c> in an older index.</summary>
    public string Field(string name) => Prefix + name;

    /// <summary>The refusal of the file, with <paramref name="problem"/>.</summary>
    public SlsInputException Refuse(string problem) => new(Path, problem);

    /// <exception cref="SlsInputException">"field 'sls.tsne.init' is missing or null" when <paramref name="value"/> is null.</exception>
    public void Need(object? value, string field)
    {
        if (value is null) throw Refuse($"field '{Field(field)}' is missing or null");
    }
}

/// <summary>A section of type <typeparamref name="TSection"/>, read and written by the index's JSON rules (snake_case,
/// nulls left out); what JSON cannot say (lengths against the depth, fields that exclude each other) goes in
/// <see cref="Check"/>.</summary>
public abstract class IndexSectionFormat<TSection> : IIndexSectionFormat where TSection : class, IIndexSection
{
    /// <inheritdoc/>
    public virtual int Version => 1;

    /// <inheritdoc/>
    public virtual IReadOnlyCollection<string> LegacyFields => [];

    /// <summary>The checks of <paramref name="s"/> beyond the JSON types, against the common fields (<see cref="SectionSource.Index"/>).</summary>
    /// <exception cref="SlsInputException">naming the field through <paramref name="at"/>.</exception>
    protected virtual void Check(TSection s, SectionSource at)
    {
    }

    /// <inheritdoc/>
    public IIndexSection Read(JsonObject json, SectionSource source)
    {
        TSection? section;
        try
        {
            section = json.Deserialize<TSection>(PruningIndex.Json);
        }
        catch (JsonException e)
        {
            // the path as the file spells it: $.scores[0] in a version 3 index is $.sls.scores[0]
            string at = source.Prefix.Length == 0 ? e.Path ?? "$" : "$." + source.Prefix.TrimEnd('.') + (e.Path ?? "$")[1..];
            throw source.Refuse($"not a valid pruning index: {JsonErrors.Describe(new JsonException(e.Message, at, null, null, e.InnerException))}");
        }
        if (section is null) throw source.Refuse($"field '{source.Prefix.TrimEnd('.')}' is missing or null");
        Check(section, source);
        return section;
    }

    /// <inheritdoc/>
    public JsonObject Write(IIndexSection section)
    {
        var json = new JsonObject { ["version"] = Version };
        foreach (var (key, value) in JsonSerializer.SerializeToNode((TSection)section, PruningIndex.Json)!.AsObject()) json[key] = value?.DeepClone();
        return json;
    }
}
