using System.Globalization;
using System.Text.Json.Nodes;
using SlsPrune.Core.Pruning;
using SlsPrune.Core.Runtime;

namespace SlsPrune.Core.Batch;

/// <summary>
/// What a manifest's values must be, checked when it is loaded (so <c>sls batch --dry-run</c> catches them, and a run
/// never fails hours in for a reason the manifest alone shows): no null values, every setting's range and choice
/// (device, method, the method's own settings and their enum values: metric, scoring, policy, importance), and
/// stages that can run with what the task gives (a PETL file and a train stage are refused together). Each refusal names the manifest and the task.
/// </summary>
internal static class ManifestChecks
{
    /// <summary>A null anywhere (YAML's <c>~</c> or an empty value, JSON's <c>null</c>): the defaults would silently apply.</summary>
    public static void NoNulls(string path, JsonNode? root)
    {
        var pending = new Stack<(JsonNode Node, string Path)>();
        if (root is not null) pending.Push((root, "$"));
        while (pending.Count > 0)
        {
            var (node, at) = pending.Pop();
            var children = node switch
            {
                JsonObject o => o.Select(kv => (kv.Value, $"{at}.{kv.Key}")).Reverse().ToList(),
                JsonArray a => a.Select((v, i) => (v, $"{at}[{i}]")).Reverse().ToList(),
                _ => [],
            };
            foreach (var (child, childPath) in children)
            {
                if (child is not null) { pending.Push((child, childPath)); continue; }
                throw new SlsInputException(path, $"field '{JsonErrors.Field(childPath)}' is null; give it a value or leave it out");
            }
        }
    }

    /// <summary>One task's settings over the defaults, and its stages against what it gives.</summary>
    public static void Task(string path, BatchTask t, BatchSettings s, IReadOnlyList<string> stages, string root)
    {
        string name = Printable.Escape(t.Name);
        SlsInputException Bad(string problem) => new(path, $"task '{name}': {problem}");
        string G(double v) => v.ToString("R", CultureInfo.InvariantCulture);

        void Count(int? v, string key, int min, int max = int.MaxValue)
        {
            if (v is int i && (i < min || i > max))
                throw Bad(max == int.MaxValue ? $"{key} must be an integer of {min} or more (got {i})"
                    : $"{key} must be an integer within {min}..{max} (got {i})");
        }
        void Positive(double? v, string key)
        {
            if (v is double d && !(d > 0 && double.IsFinite(d))) throw Bad($"{key} must be a positive number (got {G(d)})");
        }
        void Text(string? v, string key)
        {
            if (v is { Length: 0 }) throw Bad($"{key} is empty");
        }

        Count(t.Classes, "classes", 1, Data.VtabTask.MaxClasses);
        Count(s.PetlDim, "petl_dim", 1, Models.Petl.PetlSettings.MaxHiddenDim);
        if (s.PetlScale is double scale && !double.IsFinite(scale)) throw Bad($"petl_scale must be a finite number (got {G(scale)})");
        Count(s.Epochs, "epochs", 1);
        Count(s.WarmupEpochs, "warmup_epochs", 0);
        Count(s.RetrainEpochs, "retrain_epochs", 1);
        Positive(s.Lr, "lr");
        if (s.Lr is double lr && lr > Training.TrainOptions.MaxLr) throw Bad($"lr must be within 0..{G(Training.TrainOptions.MaxLr)} (got {G(lr)})");
        Count(s.BatchSize, "batch_size", 1);
        Count(s.Heads, "heads", 1, 4096);
        Count(s.ImageSize, "image_size", 1, Data.Images.InputSpec.MaxImageSize);
        Count(s.Calibration, "calibration", 1);
        Count(s.CalibrationPerClass, "calibration_per_class", 1);
        if (s.Calibration is not null && s.CalibrationPerClass is not null) throw Bad("give calibration or calibration_per_class, not both");
        Positive(s.DistillTemperature, "distill_temperature");
        if (s.DistillWeight is double w && !(w >= 0 && w <= 1)) throw Bad($"distill_weight must be within 0..1 (got {G(w)})");
        if (s.Device is string device && !DeviceSelector.Choices.Contains(device.ToLowerInvariant()))
            throw Bad($"device '{Printable.Escape(device)}' is not one of {string.Join(", ", DeviceSelector.Choices)}");
        Text(s.Split, "split");
        Text(s.EvalSplit, "eval_split");
        Text(s.PathColumn, "path_column");
        Text(s.LabelColumn, "label_column");

        Count(s.LatencyBatch, "latency_batch", 1, Models.ActivationBudget.MaxTimedBatch);
        // the chosen method reads its own settings now, as the prune stage will: types and enum values (metric, scoring, ...)
        var method = PruneMethods.Get(s.Method ?? BatchDefaults.Method);
        Pruning.Budgets.Budget? budget = null;
        if (s.Budget is string budgetText)
        {
            try
            {
                budget = Pruning.Budgets.Budget.Parse(budgetText);
                PruneRunner.CheckBudget(PruneOptions.Defaults with { Method = method, Budget = budget });
            }
            catch (SlsInputException e)
            {
                throw Bad($"budget: {e.Problem}");
            }
        }
        try
        {
            method.Validate(method.ReadOptions(s.MethodSettingsObject(p => Path.GetFullPath(Path.Combine(root, p))), path), budget);
        }
        catch (SlsInputException e)
        {
            string setting = e.Subject.StartsWith("--", StringComparison.Ordinal) ? $"{e.Subject[2..].Replace('-', '_')}: " : "";
            throw Bad($"{setting}{e.Problem} for method {method.Name}");
        }

        if (t.Petl is not null && stages.Contains("train"))
            throw Bad($"gives a 'petl' file, and its stages ({string.Join(", ", stages)}{(s.Stages is null ? ", the default" : "")}) include "
                + $"train, which would write a new one; "
                + "set stages without train (e.g. [prune, eval]) to use the file, or drop 'petl' to train one");
    }
}
