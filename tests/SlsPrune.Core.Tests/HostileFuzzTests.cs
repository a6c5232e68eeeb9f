using SlsPrune.Core.Checkpoints;
using SlsPrune.Core.Data.Images;
using SlsPrune.Core.Pruning;

namespace SlsPrune.Core.Tests;

/// <summary>
/// Seeded mutation fuzzing of every reader: valid small files of each format (tests/hostile/seeds; an ONNX model and a
/// CSV data file among them; Hugging Face and PEFT side files mutated by structure) with bytes
/// flipped, cut, inserted or overwritten. Every case must end in a clean result or a clean
/// <see cref="SlsInputException"/> naming the file; anything else (an index out of range, an overflow, an
/// out-of-memory, a native crash surfacing as an exception) fails the test with the seed and the mutation.
/// </summary>
public class HostileFuzzTests
{
    private static readonly string Seeds = Path.Combine(AppContext.BaseDirectory, "hostile", "seeds");
    private const int CasesPerSeed = 600;

    public static TheoryData<string> SeedFiles() => ["small.safetensors", "small.pt", "timm_train.pth.tar", "small.npz", "small.png", "small.jpg",
        "index.sls.json", "small.onnx"];

    [Theory]
    [MemberData(nameof(SeedFiles))]
    public void Mutated_files_end_in_a_result_or_a_clean_error(string seed)
    {
        byte[] original = File.ReadAllBytes(Path.Combine(Seeds, seed));
        Assert.Null(Record.Exception(() => Read(Path.Combine(Seeds, seed), original))); // the seed itself is valid
        string dir = Directory.CreateTempSubdirectory("sls-fuzz-").FullName;
        var rng = new Random(seed.Aggregate(20261122, (h, c) => h * 31 + c)); // stable across runs (string.GetHashCode is not)
        int refused = 0;
        try
        {
            for (int i = 0; i < CasesPerSeed; i++)
            {
                var (bytes, what) = Mutate(original, rng);
                string path = Path.Combine(dir, $"{i}{Path.GetExtension(seed)}");
                File.WriteAllBytes(path, bytes);
                switch (Outcome(() => Read(path, bytes), path))
                {
                    case null: break;
                    case "refused": refused++; break;
                    case var other: Assert.Fail($"{seed}, case {i} ({what}): {other}"); break;
                }
                File.Delete(path);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        Assert.True(refused > CasesPerSeed / 10, $"only {refused} of {CasesPerSeed} mutations were refused: the mutations miss the structure");
    }

    /// <summary>Null when <paramref name="read"/> succeeds; "refused" for an <see cref="SlsInputException"/> of one
    /// line naming <paramref name="path"/>; otherwise what went wrong (any other exception, a message of several
    /// lines or one that does not name the file). Only the first two are acceptable outcomes.</summary>
    public static string? Outcome(Action read, string path)
    {
        try
        {
            read();
            return null;
        }
        catch (SlsInputException e)
        {
            if (!e.Message.StartsWith(path, StringComparison.Ordinal)) return $"a message that does not name the file: {e.Message}";
            if (e.Message.Any(char.IsControl)) return $"a message of several lines or with control characters: {e.Message}";
            return "refused";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    [Fact]
    public void Outcome_fails_anything_but_a_result_or_a_one_line_refusal()
    {
        Assert.Null(Outcome(() => { }, "/f"));
        Assert.Equal("refused", Outcome(() => throw new SlsInputException("/f", "bad"), "/f"));
        Assert.StartsWith("InvalidOperationException", Outcome(() => throw new InvalidOperationException(), "/f"), StringComparison.Ordinal);
        Assert.StartsWith("a message that does not name", Outcome(() => throw new SlsInputException("/g", "bad"), "/f"), StringComparison.Ordinal);
        Assert.StartsWith("a message of several lines", Outcome(() => throw new SlsInputException("/f: bad\nat X.Y()"), "/f"),
            StringComparison.Ordinal);
    }

    public static TheoryData<string> StructuredSeeds() => ["index.sls.json", "manifest.json", "manifest.yaml"];

    /// <summary>Structure, not bytes: every value of the seed (at any depth) replaced by null, by a value of
    /// another JSON type, or removed with its key, in JSON and in YAML. Every outcome must be a result or a
    /// one-line refusal.</summary>
    [Theory]
    [MemberData(nameof(StructuredSeeds))]
    public void Structurally_mutated_json_and_yaml_end_in_a_result_or_a_clean_error(string seed)
    {
        string dir = Directory.CreateTempSubdirectory("sls-fuzz-json-").FullName;
        try
        {
            var original = System.Text.Json.Nodes.JsonNode.Parse(SeedJson(seed))!;
            var paths = new List<List<object>>();
            Walk(original, [], paths);
            var replacements = new System.Text.Json.Nodes.JsonNode?[] { null, "x", 0, -1, 2_000_000_000_000, 1.5, true,
                new System.Text.Json.Nodes.JsonArray(), new System.Text.Json.Nodes.JsonObject(),
                new System.Text.Json.Nodes.JsonArray((System.Text.Json.Nodes.JsonNode?)null), "\u001b[31m" };
            int refused = 0, cases = 0;
            foreach (var at in paths)
            {
                foreach (var r in replacements.Append(Remove))
                {
                    var doc = original.DeepClone();
                    Replace(doc, at, r?.DeepClone());
                    string path = Path.Combine(dir, $"{cases++}{Path.GetExtension(seed)}");
                    File.WriteAllText(path, seed.EndsWith(".yaml", StringComparison.Ordinal) ? ToYaml(doc) : doc.ToJsonString());
                    switch (Outcome(() => ReadStructured(path), path))
                    {
                        case null: break;
                        case "refused": refused++; break;
                        case var other: Assert.Fail($"{seed}, {string.Join("/", at)} := {r?.ToJsonString() ?? "null"}: {other}"); break;
                    }
                }
            }
            Assert.True(cases > 100 && refused > cases / 4, $"{refused} of {cases} mutations refused");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static readonly System.Text.Json.Nodes.JsonNode Remove = "(remove)";

    private static string SeedJson(string seed) => seed switch
    {
        "index.sls.json" => File.ReadAllText(Path.Combine(Seeds, seed)),
        _ => "{\"backbone\": \"b.safetensors\", \"defaults\": {\"stages\": [\"prune\", \"eval\"], \"alpha\": 0.3, \"heads\": 3}, "
            + "\"tasks\": [{\"name\": \"a\", \"data\": \"a\", \"group\": \"natural\", \"petl\": \"p.safetensors\", \"settings\": {\"epochs\": 2, "
                + "\"stages\": [\"prune\"]}}]}",
    };

    private static void ReadStructured(string path)
    {
        if (path.EndsWith(".sls.json", StringComparison.Ordinal)) PruningIndex.Load(path);
        else SlsPrune.Core.Batch.BatchManifest.Load(path);
    }

    private static void Walk(System.Text.Json.Nodes.JsonNode? node, List<object> at, List<List<object>> into)
    {
        if (at.Count > 0) into.Add(at);
        if (node is System.Text.Json.Nodes.JsonObject o)
            foreach (var (k, v) in o) Walk(v, [.. at, k], into);
        else if (node is System.Text.Json.Nodes.JsonArray a)
            for (int i = 0; i < a.Count; i++) Walk(a[i], [.. at, i], into);
    }

    private static void Replace(System.Text.Json.Nodes.JsonNode doc, List<object> at, System.Text.Json.Nodes.JsonNode? value)
    {
        var parent = doc;
        foreach (var step in at.SkipLast(1)) parent = step is string k ? parent[k]! : parent[(int)step]!;
        bool remove = value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? s) && s == "(remove)";
        if (at[^1] is string key)
        {
            if (remove) parent.AsObject().Remove(key);
            else parent[key] = value;
        }
        else if (remove) parent.AsArray().RemoveAt((int)at[^1]);
        else parent[(int)at[^1]] = value;
    }

    public static TheoryData<string> SideFileSeeds() => ["layouts/hf_vit/config.json", "layouts/hf_vit/preprocessor_config.json",
        "peft/hf_qv/adapter_config.json"];

    /// <summary>A Hugging Face folder's <c>config.json</c> and <c>preprocessor_config.json</c> and a PEFT folder's
    /// <c>adapter_config.json</c>, structurally mutated as above (every value null, of another type, or removed)
    /// in a copy of the folder: each must read (the checkpoint with its hints, the adapter) or be refused in one
    /// line naming a file of the folder.</summary>
    [Theory]
    [MemberData(nameof(SideFileSeeds))]
    public void Structurally_mutated_side_files_end_in_a_result_or_a_clean_error(string seed)
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "fixtures", Path.GetDirectoryName(seed)!);
        string dir = Directory.CreateTempSubdirectory("sls-fuzz-side-").FullName;
        try
        {
            foreach (var f in Directory.GetFiles(fixture)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            string file = Path.Combine(dir, Path.GetFileName(seed));
            var original = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!;
            var paths = new List<List<object>>();
            Walk(original, [], paths);
            var replacements = new System.Text.Json.Nodes.JsonNode?[] { null, "x", 0, -1, 2_000_000_000, 1e300, 1.5, true,
                new System.Text.Json.Nodes.JsonArray(),
                new System.Text.Json.Nodes.JsonObject(), new System.Text.Json.Nodes.JsonArray(1, 2, 3, 4), "\u001b[31m" };
            bool peft = seed.StartsWith("peft/", StringComparison.Ordinal);
            int refused = 0, cases = 0;
            foreach (var at in paths)
                foreach (var r in replacements.Append(Remove))
                {
                    var doc = original.DeepClone();
                    Replace(doc, at, r?.DeepClone());
                    File.WriteAllText(file, doc.ToJsonString());
                    cases++;
                    switch (Outcome(() => { if (peft) PeftAdapter.Open(dir).Dispose(); else StateDictFile.Open(dir).Dispose(); }, dir))
                    {
                        case null: break;
                        case "refused": refused++; break;
                        case var other: Assert.Fail($"{seed}, {string.Join("/", at)} := {r?.ToJsonString() ?? "null"}: {other}"); break;
                    }
                }
            Assert.True(cases > 20 && refused > cases / 10, $"{refused} of {cases} mutations refused");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A CSV data file (two images beside it), its bytes mutated as the binary seeds: every outcome of
    /// opening it and reading its splits is a result or a one-line refusal naming the CSV or a path it gives.</summary>
    [Fact]
    public void Mutated_csv_data_files_end_in_a_result_or_a_clean_error()
    {
        string dir = Directory.CreateTempSubdirectory("sls-fuzz-csv-").FullName;
        try
        {
            File.Copy(Path.Combine(Seeds, "small.png"), Path.Combine(dir, "a.png"));
            File.Copy(Path.Combine(Seeds, "small.jpg"), Path.Combine(dir, "b c.jpg"));
            byte[] original = System.Text.Encoding.UTF8.GetBytes("path,label,split\na.png,cat,train\n\"b c.jpg\",dog,train\na.png,dog,val\n\"b "
                + "c.jpg\",cat,val\n");
            var rng = new Random(20261122);
            int refused = 0;
            const int Cases = 300;
            for (int i = 0; i < Cases; i++)
            {
                var (bytes, what) = i == 0 ? (original, "none") : Mutate(original, rng);
                string path = Path.Combine(dir, $"{i}.csv");
                File.WriteAllBytes(path, bytes);
                switch (Outcome(() =>
                {
                    var source = SlsPrune.Core.Data.DataLayouts.Open(path);
                    foreach (var split in source.Splits) source.Read(split);
                }, dir))
                {
                    case null: break;
                    case "refused": Assert.True(i > 0, "the seed itself is refused"); refused++; break;
                    case var other: Assert.Fail($"csv case {i} ({what}): {other}"); break;
                }
                File.Delete(path);
            }
            Assert.True(refused > Cases / 10, $"only {refused} of {Cases} mutations were refused");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>JSON as YAML flow style (a YAML parser reads JSON), the first nested mapping anchored.</summary>
    private static string ToYaml(System.Text.Json.Nodes.JsonNode doc)
    {
        string json = doc.ToJsonString();
        int first = json.IndexOf('{', 1);
        return first < 0 ? json : json[..first] + "&a " + json[first..];
    }

    private static void Read(string path, byte[] bytes)
    {
        switch (Path.GetExtension(path))
        {
            case ".png":
            case ".jpg":
                ImageDecoder.Decode(bytes, path);
                break;
            case ".json":
                PruningIndex.Load(path);
                break;
            case ".onnx": // the bounds first, then ONNX Runtime itself on what passes them
                SlsPrune.Core.Evaluation.OnnxRuntimeModel.Open(path).Dispose();
                break;
            default:
                using (var c = CheckpointFile.Open(path))
                    foreach (var t in c.Tensors)
                        c.Read(t.Name).Dispose();
                break;
        }
    }

    private static (byte[] Bytes, string What) Mutate(byte[] src, Random rng)
    {
        var b = src.ToList();
        int kind = rng.Next(5);
        int at = rng.Next(Math.Max(1, b.Count));
        switch (kind)
        {
            case 0: // flip 1..8 random bits
                int flips = rng.Next(1, 9);
                for (int k = 0; k < flips; k++) { int p = rng.Next(b.Count); b[p] ^= (byte)(1 << rng.Next(8)); }
                return ([.. b], $"{flips} bit flips");
            case 1: // truncate
                return ([.. b.Take(at)], $"truncated to {at} bytes");
            case 2: // insert random bytes
                int n = rng.Next(1, 17);
                var ins = new byte[n];
                rng.NextBytes(ins);
                b.InsertRange(at, ins);
                return ([.. b], $"{n} bytes inserted at {at}");
            case 3: // overwrite a run with 0xFF (huge lengths and sizes)
                int len = Math.Min(rng.Next(1, 9), b.Count - at);
                for (int k = 0; k < len; k++) b[at + k] = 0xFF;
                return ([.. b], $"{len} bytes set to 0xFF at {at}");
            default: // delete a run
                int del = Math.Min(rng.Next(1, 17), b.Count - at);
                b.RemoveRange(at, del);
                return ([.. b], $"{del} bytes deleted at {at}");
        }
    }
}
