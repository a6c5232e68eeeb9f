using System.Globalization;
using System.Text.RegularExpressions;
using SlsPrune.Core.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints;

/// <summary>
/// A Hugging Face PEFT LoRA adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c> or
/// <c>adapter_model.bin</c>) read as a PETL source whose pairs are merged into the backbone's weights as they are
/// read, <c>W' = W + s B A</c> in float64 (PEFT's merge), in the backbone file's own names (so Hugging Face's
/// separate query/key/value are merged before the converter fuses them); <c>modules_to_save</c>'s classifier becomes
/// the task head. What the merge cannot honour exactly (DoRA, trained biases, <c>fan_in_fan_out</c>, modules without
/// a slot, a config that contradicts the tensors) is refused by name. Matching follows PEFT's
/// <c>check_target_module_exists</c> (list: exact name or <c>.</c>-suffix, with <c>layers_to_transform</c> /
/// <c>layers_pattern</c>; string: a full regex match) and <c>get_pattern_key</c> for <c>rank_pattern</c> /
/// <c>alpha_pattern</c>.
/// </summary>
public sealed class PeftAdapter : IDisposable
{
    public const string ConfigName = "adapter_config.json";

    /// <summary>The weights files a PEFT folder may hold, in the order they are preferred.</summary>
    public static readonly IReadOnlyList<string> WeightNames = ["adapter_model.safetensors", "adapter_model.bin"];

    public const string MethodName = "peft-lora";

    private const string Prefix = "base_model.model.";

    /// <summary>The linear layers sls has a slot for, in every layout it reads: timm (<c>attn.qkv|proj</c>,
    /// <c>mlp.fc1|fc2</c>), Hugging Face ViT / DINOv2 (<c>query|key|value</c>, <c>attention.output.dense</c>,
    /// <c>intermediate.dense</c>, <c>output.dense</c>, <c>mlp.fc1|fc2</c>), torchvision (<c>self_attention.out_proj</c>,
    /// <c>mlp.0|3</c>) and OpenCLIP (<c>attn.out_proj</c>, <c>mlp.c_fc|c_proj</c>).</summary>
    private static readonly Regex Slot = new(
        @"^(?:.*\.)?(?:blocks\.(?<b>\d+)\.(?<s>attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)" +
        @"|encoder\.layer\.(?<b>\d+)\.(?<s>attention\.attention\.query|attention\.attention\.key|attention\.attention\.value" +
        @"|attention\.output\.dense|intermediate\.dense|output\.dense|mlp\.fc1|mlp\.fc2|mlp\.weights_in|mlp\.weights_out)" +
        @"|encoder\.layers\.encoder_layer_(?<b>\d+)\.(?<s>self_attention\.out_proj|mlp\.0|mlp\.3|mlp\.linear_1|mlp\.linear_2)" +
        @"|transformer\.resblocks\.(?<b>\d+)\.(?<s>attn\.out_proj|mlp\.c_fc|mlp\.c_proj))$",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture);

    /// <summary>The names a classifier has in the layouts sls reads (its weight becomes <c>head.weight</c>).</summary>
    private static readonly string[] HeadModules = ["classifier", "head", "heads.head", "head.fc"];

    private readonly ICheckpoint _file;
    private readonly Dictionary<string, string> _head = new(StringComparer.Ordinal);   // head.weight / head.bias -> adapter tensor
    private Dictionary<string, LoraPair>? _bound;                                          // backbone tensor name -> pair

    private PeftAdapter(CheckpointSource source, ICheckpoint file)
    {
        Source = source;
        _file = file;
    }

    /// <summary>The folder and its files (<see cref="CheckpointSource.IsPeftAdapter"/>): their bytes and fingerprint.</summary>
    public CheckpointSource Source { get; }

    /// <summary>The folder.</summary>
    public string Path => Source.Path;

    public string ConfigFile => Source.SideFiles[ConfigName];

    public string WeightsFile => _file.Path;

    public CheckpointFormat Format => _file.Format;

    public IReadOnlyList<TensorInfo> Tensors => _file.Tensors;

    public IReadOnlyDictionary<string, string> Metadata => _file.Metadata;

    /// <summary>The LoRA pairs, in the file's order.</summary>
    public IReadOnlyList<LoraPair> Pairs { get; private set; } = [];

    /// <summary>Classes of the head <c>modules_to_save</c> brings; null: the backbone's own head is used.</summary>
    public int? HeadClasses { get; private set; }

    public long Bytes => Source.Bytes;

    /// <summary>Parameters of the LoRA pairs and of the head.</summary>
    public (long Lora, long Head) ParameterCount
    {
        get
        {
            var byName = _file.Tensors.ToDictionary(t => t.Name, t => t.ElementCount, StringComparer.Ordinal);
            return (Pairs.Sum(p => byName[p.A] + byName[p.B]), _head.Values.Sum(n => byName[n]));
        }
    }

    /// <summary>A PEFT folder's fingerprint, its source's: the SHA-256 of its config's and weights' manifest.</summary>
    public static FileFingerprint Fingerprint(string folder) => CheckpointSource.ResolvePetl(folder).Fingerprint();

    /// <summary>A PEFT adapter folder (as <see cref="CheckpointSource.ResolvePetl"/> resolves it).</summary>
    public static PeftAdapter Open(string folder) => Open(CheckpointSource.ResolvePetl(folder));

    /// <summary>Reads the config and the tensor names and shapes (no data) and checks them against each other.</summary>
    public static PeftAdapter Open(CheckpointSource source)
    {
        if (!source.IsPeftAdapter) throw new ArgumentException($"{source.Path} is not a PEFT adapter folder", nameof(source));
        var config = source.Json(ConfigName)!;
        var file = CheckpointFile.Open(source.WeightsFile);
        var adapter = new PeftAdapter(source, file);
        try
        {
            adapter.Resolve(new PeftConfig(config, adapter.ConfigFile));
            return adapter;
        }
        catch
        {
            adapter.Dispose();
            throw;
        }
    }

    /// <summary>Sorts the adapter's tensors into LoRA pairs and the head, checking each against the config.</summary>
    private void Resolve(PeftConfig c)
    {
        var shapes = _file.Tensors.ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        var a = new Dictionary<string, string>(StringComparer.Ordinal);
        var b = new Dictionary<string, string>(StringComparer.Ordinal);
        var saved = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in _file.Tensors)
        {
            string name = t.Name.StartsWith(Prefix, StringComparison.Ordinal) ? t.Name[Prefix.Length..] : t.Name;
            string esc = Printable.Escape(t.Name);
            if (name.Contains(".lora_magnitude_vector", StringComparison.Ordinal))
                throw new SlsInputException(WeightsFile, $"tensor '{esc}' is DoRA's magnitude vector; DoRA does not merge as plain LoRA and is not "
                    + $"supported");
            if (name.Contains(".lora_embedding_", StringComparison.Ordinal))
                throw new SlsInputException(WeightsFile, $"tensor '{esc}' is LoRA on an embedding, which sls has no slot for");
            if (Pair(name, ".lora_A") is { } ma) { a[ma] = t.Name; continue; }
            if (Pair(name, ".lora_B") is { } mb) { b[mb] = t.Name; continue; }
            if (name.Contains(".lora_", StringComparison.Ordinal))
                throw new SlsInputException(WeightsFile, $"tensor '{esc}' is not a LoRA A or B weight (LoRA biases, lora_bias, are not supported)");
            if (SavedModule(name, c) is var (module, param))
            {
                string tail = HeadModules.FirstOrDefault(h => module == h || module.EndsWith("." + h, StringComparison.Ordinal))
                    ?? throw new SlsInputException(WeightsFile, $"modules_to_save layer '{Printable.Escape(module)}' is not the classifier; sls "
                        + $"takes only the task head from modules_to_save");
                if (param is not ("weight" or "bias"))
                    throw new SlsInputException(WeightsFile, $"tensor '{esc}' of modules_to_save is neither a weight nor a bias");
                string key = "head." + param;
                if (!_head.TryAdd(key, t.Name))
                    throw new SlsInputException(WeightsFile, $"tensor '{esc}': modules_to_save holds the classifier's {param} twice");
                saved.Add(tail);
                continue;
            }
            throw new SlsInputException(WeightsFile, $"tensor '{esc}' is neither a LoRA weight of a target module nor a layer of modules_to_save");
        }
        foreach (var m in a.Keys.Except(b.Keys).Concat(b.Keys.Except(a.Keys)))
            throw new SlsInputException(WeightsFile, $"module '{Printable.Escape(m)}' has only one of lora_A and lora_B");
        if (a.Count == 0) throw new SlsInputException(WeightsFile, "holds no LoRA weights (base_model.model.<module>.lora_A.weight)");
        foreach (var m in c.ModulesToSave.Where(m => !_head.Values.Any(n => Selected(n, m))))
            throw new SlsInputException(ConfigFile, $"modules_to_save names '{Printable.Escape(m)}' but the adapter holds none of its weights");
        if (_head.Count > 0 && !_head.ContainsKey("head.weight"))
            throw new SlsInputException(WeightsFile, "modules_to_save holds the classifier's bias but not its weight");

        var pairs = new List<LoraPair>();
        foreach (var (module, aName) in a)
        {
            string m = Printable.Escape(module);
            var match = Slot.Match(module);
            if (!match.Success)
                throw new SlsInputException(WeightsFile, $"LoRA on '{m}', which sls has no slot for (only a block's query, key, value, attention "
                    + $"output, fc1 and fc2 merge into the ViT it builds)");
            if (!c.Targets(module))
                throw new SlsInputException(WeightsFile, $"holds LoRA weights for '{m}', which {ConfigName}'s target_modules"
                    + $"{(c.UsesLayers ? " with layers_to_transform" : "")} does not select");
            var sa = shapes[aName];
            var sb = shapes[b[module]];
            if (sa.Length != 2 || sb.Length != 2 || sa[0] != sb[1])
                throw new SlsInputException(WeightsFile, $"LoRA pair of '{m}' has shapes [{string.Join(", ", sa)}] and [{string.Join(", ", sb)}]; "
                    + $"a linear layer's pair is A [r, in] and B [out, r]");
            int r = c.Rank(module);
            double alpha = c.Alpha(module);
            if (sa[0] != r)
                throw new SlsInputException(WeightsFile, $"lora_A of '{m}' has rank {sa[0]}, but {ConfigName} gives r {r} for it");
            double scale = c.RsLora ? alpha / Math.Sqrt(r) : alpha / r;
            if (!int.TryParse(match.Groups["b"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int block)
                || block >= StateDictFile.MaxBlocks)
                throw new SlsInputException(WeightsFile, $"LoRA on '{m}' has block index {match.Groups["b"].Value}; a model has at most "
                    + $"{StateDictFile.MaxBlocks} blocks");
            pairs.Add(new LoraPair(module, block, match.Groups["s"].Value, r, alpha, scale, aName, b[module]));
        }
        foreach (var entry in c.ListTargets.Where(e => !a.Keys.Any(k => PeftConfig.TargetEntryMatches(e, k))))
            throw new SlsInputException(ConfigFile, $"target_modules entry '{Printable.Escape(entry)}' matches none of the adapter's modules");
        Pairs = pairs;
        if (_head.TryGetValue("head.weight", out var hw))
        {
            var s = shapes[hw];
            if (s.Length != 2) throw new SlsInputException(WeightsFile, $"the classifier's weight '{Printable.Escape(hw)}' has {s.Length} "
                + $"dimensions; a head's weight is [classes, width]");
            HeadClasses = (int)s[0];
        }
    }

    /// <summary>The module of a LoRA tensor (<c>M.lora_A.weight</c>, or with the adapter name <c>M.lora_A.default.weight</c>).</summary>
    private static string? Pair(string name, string which)
    {
        foreach (var tail in new[] { which + ".weight", which + ".default.weight" })
            if (name.EndsWith(tail, StringComparison.Ordinal)) return name[..^tail.Length];
        return null;
    }

    /// <summary>A modules_to_save layer's module and parameter: <c>M.weight</c>, <c>M.modules_to_save.default.weight</c>
    /// or <c>M.modules_to_save.weight</c>, for M that a <c>modules_to_save</c> entry selects.</summary>
    private static (string Module, string Param)? SavedModule(string name, PeftConfig c)
    {
        int dot = name.LastIndexOf('.');
        if (dot <= 0) return null;
        string module = name[..dot], param = name[(dot + 1)..];
        foreach (var wrapper in new[] { ".modules_to_save.default", ".modules_to_save" })
            if (module.EndsWith(wrapper, StringComparison.Ordinal)) { module = module[..^wrapper.Length]; break; }
        return c.ModulesToSave.Any(m => Selected(module, m)) ? (module, param) : null;
    }

    private static bool Selected(string name, string entry) => name == entry || name.EndsWith("." + entry, StringComparison.Ordinal)
        || name.StartsWith(entry + ".", StringComparison.Ordinal) || name.Contains("." + entry + ".", StringComparison.Ordinal);

    /// <summary>Finds each pair's weight among the backbone file's own tensor names (the adapter's module name, or it
    /// with leading components dropped or a prefix added, as a <c>ViTModel</c> file holds a
    /// <c>ViTForImageClassification</c> adapter's modules) and checks its shape [out, in].</summary>
    public void Bind(IReadOnlyList<TensorInfo> backbone, string backbonePath)
    {
        var shapes = backbone.ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        var adapterShapes = _file.Tensors.ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        var bound = new Dictionary<string, LoraPair>(StringComparer.Ordinal);
        foreach (var p in Pairs)
        {
            string weight = WeightName(p.Module, shapes.Keys)
                ?? throw new SlsInputException(Path, $"LoRA module '{Printable.Escape(p.Module)}' has no weight in the backbone "
                    + $"{Printable.Escape(backbonePath)} (an adapter for another model?)");
            long[] want = [adapterShapes[p.B][0], adapterShapes[p.A][1]];
            if (!shapes[weight].SequenceEqual(want))
                throw new SlsInputException(Path, $"LoRA of '{Printable.Escape(p.Module)}' is [{string.Join(", ", want)}], the backbone's '"
                    + $"{Printable.Escape(weight)}' is [{string.Join(", ", shapes[weight])}]");
            if (!bound.TryAdd(weight, p))
                throw new SlsInputException(Path, $"two LoRA pairs fall on the backbone's '{Printable.Escape(weight)}'");
        }
        _bound = bound;
    }

    private static string? WeightName(string module, IEnumerable<string> names)
    {
        var set = names as ICollection<string> ?? names.ToList();
        for (string m = module; ; m = m[(m.IndexOf('.') + 1)..])
        {
            if (set.Contains(m + ".weight")) return m + ".weight";
            if (!m.Contains('.')) break;
        }
        var longer = set.Where(n => n.EndsWith("." + module + ".weight", StringComparison.Ordinal)).Take(2).ToList();
        return longer.Count == 1 ? longer[0] : null;
    }

    /// <summary>A backbone tensor (the file's own name) with its LoRA pair merged, <c>W + s B A</c> in float64; other
    /// tensors are returned as they are. <see cref="Bind"/> first.</summary>
    public Tensor Patch(string name, Tensor weight)
    {
        if (_bound is null) throw new InvalidOperationException("Bind the adapter to its backbone first");
        if (!_bound.TryGetValue(name, out var p)) return weight;
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var a = Finite(_file.Read(p.A), p.A).to(float64);
        var b = Finite(_file.Read(p.B), p.B).to(float64);
        var merged = weight.to(float64).add(b.matmul(a), p.Scale).to(weight.dtype);
        // finite weights that merge into infinities: the scale (lora_alpha / r) or the pair is absurd; a NaN the
        // backbone itself holds is left for its own check to name the backbone
        if (AllFinite(weight) && !AllFinite(merged))
            throw new SlsInputException(WeightsFile, $"merging the LoRA pair of '{Printable.Escape(p.Module)}' (scale "
                + $"{p.Scale.ToString("R", CultureInfo.InvariantCulture)}) into '{Printable.Escape(name)}' gives values too large for its dtype");
        merged = merged.MoveToOuterDisposeScope();
        weight.Dispose();
        return merged;
    }

    /// <summary>The head from <c>modules_to_save</c> (<c>head.weight</c>, <c>head.bias</c>), or null.</summary>
    public Dictionary<string, Tensor>? ReadHead() =>
        _head.Count == 0 ? null : _head.ToDictionary(kv => kv.Key, kv => Finite(_file.Read(kv.Value), kv.Value), StringComparer.Ordinal);

    /// <summary>An adapter tensor with NaN or infinite values is refused against the adapter's weights file (merged,
    /// it would otherwise surface as the backbone's).</summary>
    private Tensor Finite(Tensor t, string name)
    {
        if (AllFinite(t)) return t;
        t.Dispose();
        throw new SlsInputException(WeightsFile, $"tensor '{Printable.Escape(name)}' holds NaN or infinite values");
    }

    private static bool AllFinite(Tensor t)
    {
        if (!t.is_floating_point()) return true;
        using var all = torch.isfinite(t).all();
        return all.item<bool>();
    }

    public void Dispose() => _file.Dispose();
}
