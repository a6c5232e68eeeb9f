namespace SlsPrune.Core.Indexing;

/// <summary>The common fields of a pruning index that JSON lets a hand-edited or crafted file leave null, or fill
/// with the wrong text, checked by name before anything uses them (a method's own section is checked by its
/// <see cref="IIndexSectionFormat"/>).</summary>
public static class PruningIndexFields
{
    /// <exception cref="SlsInputException">naming the first missing or malformed field.</exception>
    public static void Check(string path, PruningIndex index)
    {
        void Need(object? value, string field)
        {
            if (value is null) throw new SlsInputException(path, $"field '{field}' is missing or null");
        }
        Need(index.Metric, "metric");
        Need(index.Method, "method");
        Need(index.KeptBlocks, "kept_blocks");
        Need(index.Decision, "decision");
        Need(index.Calibration, "calibration");
        Need(index.Calibration.Task, "calibration.task");
        Need(index.Calibration.Split, "calibration.split");
        Need(index.Calibration.Precision, "calibration.precision");
        if (index.Input is { } input)
        {
            if (input.ImageSize <= 0) throw new SlsInputException(path, $"field 'input.image_size' is {input.ImageSize}, not a size in pixels");
            Need(input.From, "input.from");
            if (!Models.InputSizeOrigin.Origins.Contains(input.From))
                throw new SlsInputException(path, $"field 'input.from' is '{Printable.Escape(input.From)}', not "
                    + $"{string.Join(", ", Models.InputSizeOrigin.Origins)}");
        }
        for (int i = 0; i < (index.Width?.Count ?? 0); i++)
        {
            var w = index.Width![i];
            Need(w, $"width[{i}]");
            Need(w.Heads, $"width[{i}].heads");
            Need(w.MlpUnits, $"width[{i}].mlp_units");
        }
        index.Budget?.Check(path, index.Depth);
        if (index.Budget is { } budget && budget.Chosen != index.KeptBlocks.Count)
            throw new SlsInputException(path, $"field 'budget.chosen' is {budget.Chosen}, but kept_blocks keeps {index.KeptBlocks.Count} blocks");
        for (int i = 0; i < (index.Warnings?.Count ?? 0); i++) Need(index.Warnings![i], $"warnings[{i}]");
        Need(index.Backbone, "backbone");
        foreach (var (file, field) in new[] { (index.Backbone, "backbone"), (index.Petl, "petl") })
        {
            if (file is null) continue;   // petl: absent when the backbone's own head classified
            Need(file.Path, field + ".path");
            Need(file.Sha256, field + ".sha256");
            if (file.Sha256.Length != 64 || !file.Sha256.All(Uri.IsHexDigit))
                throw new SlsInputException(path, $"field '{field}.sha256' is not a SHA-256 (64 hexadecimal digits)");
        }
    }
}
