using System.Text.RegularExpressions;

namespace SlsPrune.Core.Tests;

/// <summary>The one-way flow of docs/ARCHITECTURE.md, read off the source: which Core namespaces each folder's files
/// name (in using lines and fully qualified), and the registries that make a new variant one file and one line.</summary>
public partial class ArchitectureTests
{
    private static readonly string Core = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src",
        "SlsPrune.Core"));

    [GeneratedRegex(@"SlsPrune\.Core\.(\w+)|\b(Pruning|Training|Evaluation|Batch)\.\w+\.")]
    private static partial Regex CoreReference();

    private static HashSet<string> References(string folder)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Core, folder), "*.cs", SearchOption.AllDirectories))
            foreach (var line in File.ReadLines(file))
            {
                if (line.TrimStart().StartsWith("namespace", StringComparison.Ordinal) || line.TrimStart().StartsWith("///",
                    StringComparison.Ordinal)) continue;
                foreach (Match m in CoreReference().Matches(line)) found.Add(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
            }
        found.Remove("IO"); // usable everywhere, as the root namespace
        return found;
    }

    [Theory]
    [InlineData("Models", new[] { "Pruning", "Training", "Evaluation", "Features", "Fem", "Indexing", "Batch", "Inspection" })]
    [InlineData("Training", new[] { "Pruning", "Batch", "Indexing" })]
    [InlineData("Evaluation", new[] { "Pruning", "Training", "Batch" })]
    [InlineData("Checkpoints", new[] { "Models", "Pruning", "Training", "Evaluation", "Indexing" })]
    [InlineData("Fem", new[] { "Models", "Pruning", "Training", "Evaluation", "Indexing" })]
    [InlineData("Indexing", new[] { "Pruning", "Training", "Evaluation", "Batch" })]
    [InlineData("Plotting", new[] { "Models", "Pruning", "Training", "Evaluation", "Features", "Fem", "Indexing", "Batch", "Checkpoints", "Data",
        "Inspection", "Runtime" })]
    public void A_layer_does_not_reach_into_the_layers_that_build_on_it(string folder, string[] forbidden)
    {
        var refs = References(folder);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(Core, folder), "*.cs", SearchOption.AllDirectories));
        Assert.Empty(refs.Intersect(forbidden));
    }

    /// <summary>docs/ARCHITECTURE.md's folder table: each folder and its "may use" cell, in the table's order.</summary>
    private static List<(string Folder, string Uses)> Table()
    {
        string doc = Path.Combine(Core, "..", "..", "docs", "ARCHITECTURE.md");
        return File.ReadLines(doc).Select(l => TableRow().Match(l)).Where(m => m.Success)
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value.Trim())).ToList();
    }

    [GeneratedRegex(@"^\| `(\w+)/` \| .* \| ([^|]*) \|$")]
    private static partial Regex TableRow();

    [Fact]
    public void The_may_use_table_of_the_architecture_document_is_what_the_code_does()
    {
        var table = Table();
        var folders = Directory.GetDirectories(Core).Select(d => Path.GetFileName(d)!).Where(f => f is not ("bin" or "obj")).Order().ToList();
        Assert.Equal(folders, table.Select(r => r.Folder).Order().ToList()); // every folder has one row
        var above = new List<string>();
        foreach (var (folder, uses) in table)
        {
            var refs = References(folder);
            refs.Remove(folder);
            if (uses == "all of the above")
                Assert.True(refs.IsSubsetOf(above), $"{folder} names {string.Join(", ", refs.Except(above))}, which the table puts below it");
            else
            {
                var declared = uses.StartsWith("nothing", StringComparison.Ordinal) ? []
                    : uses.Split(',', StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
                Assert.True(declared.SetEquals(refs), $"{folder}: the table says it may use [{string.Join(", ", declared.Order())}], the code "
                    + $"names [{string.Join(", ", refs.Order())}]");
                Assert.True(declared.IsSubsetOf(above), $"{folder} may use {string.Join(", ", declared.Except(above))}, which the table puts below "
                    + $"it: data flows one way");
            }
            above.Add(folder);
        }
    }

    [Fact]
    public void The_drawn_flow_of_the_architecture_document_has_a_box_for_every_folder()
    {
        string doc = File.ReadAllText(Path.Combine(Core, "..", "..", "docs", "ARCHITECTURE.md"));
        int start = doc.IndexOf("```mermaid", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/ARCHITECTURE.md has no mermaid diagram");
        string diagram = doc[start..doc.IndexOf("```", start + 10, StringComparison.Ordinal)];
        var boxes = Regex.Matches(diagram, @"(\w+)\[\(?""\1/").Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var missing = Table().Select(r => r.Folder).Where(f => !boxes.Contains(f)).ToList();
        Assert.True(missing.Count == 0, $"the diagram has no box for {string.Join(", ", missing)}");
    }

    [Fact]
    public void Plotting_takes_plain_data_not_tensors()
    {
        var files = Directory.EnumerateFiles(Path.Combine(Core, "Plotting"), "*.cs", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);
        Assert.DoesNotContain(files, f => File.ReadAllText(f).Contains("TorchSharp", StringComparison.Ordinal));
    }

    [Fact]
    public void The_check_sees_references_that_exist()
    {
        // Pruning builds on models, training and the index: a check that finds nothing there would find nothing anywhere.
        Assert.Superset(new HashSet<string> { "Models", "Training", "Indexing", "Fem" }, References("Pruning"));
    }

    [Fact]
    public void Only_the_petl_method_files_name_a_petl_method_class()
    {
        var methods = new[] { "ConvpassMethod", "RepAdapterMethod", "LoraMethod", "SpLoraMethod", "AdaptFormerMethod", "VptMethod" };
        var outside = Directory.EnumerateFiles(Core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.Combine("Models", "Petl"), StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => methods.Any(m => File.ReadAllText(f).Contains(m, StringComparison.Ordinal)))
            .Select(Path.GetFileName).ToList();
        // width pruning's spa refuses other methods by checking for SPLoRA: the one place outside the table
        Assert.Equal(["WidthPruner.cs"], outside);
    }

    [Fact]
    public void Every_prune_method_setting_is_declared_once_with_one_type_per_name()
    {
        // Describe refuses a property without a [Setting] declaration; a name two methods share is one command-line option
        var settings = PruneMethods.All.SelectMany(m => m.Settings.Select(s => (m.Name, s))).ToList();
        Assert.Contains(settings, x => x.s.Key == "perplexity" && x.s.Default is 30.0 && x.Name == "sls");
        Assert.All(settings, x => Assert.False(string.IsNullOrWhiteSpace(x.s.Help), $"{x.Name}.{x.s.Key} has no help"));
        foreach (var g in settings.GroupBy(x => x.s.Key))
            Assert.True(g.Select(x => x.s.Type).Distinct().Count() == 1,
                $"setting '{g.Key}' has several types: {string.Join(", ", g.Select(x => $"{x.Name} {x.s.Type.Name}"))}");
        Assert.Equal(PruneMethods.SettingNames.Order(), settings.Select(x => x.s.Key).Distinct().Order());
    }

    [Fact]
    public void Every_registered_method_has_a_unique_name()
    {
        Assert.Equal(PetlMethods.All.Count, PetlMethods.All.Select(m => m.Name).Distinct().Count());
        Assert.Equal(PruneMethods.All.Count, PruneMethods.All.Select(m => m.Name).Distinct().Count());
        Assert.Equal(Checkpoints.Converters.StateDictConverters.All.Count, Checkpoints.Converters.StateDictConverters.All.Select(c => c.Name)
            .Distinct().Count());
        Assert.Equal("timm", Checkpoints.Converters.StateDictConverters.All[^1].Name); // the catch-all is last
    }

    [Fact]
    public void Every_family_converter_and_method_in_the_assembly_is_in_its_registry()
    {
        var types = typeof(PruneMethods).Assembly.GetTypes().Where(t => t is { IsAbstract: false, IsClass: true }).ToList();
        void Registered<T>(IEnumerable<object> registry)
        {
            var expected = types.Where(t => typeof(T).IsAssignableFrom(t)).Select(t => t.Name).Order().ToList();
            Assert.NotEmpty(expected);
            Assert.Equal(expected, registry.Select(x => x.GetType().Name).Order().ToList());
        }
        Registered<IBackboneFamily>(BackboneFamilies.All);
        Registered<Checkpoints.Converters.IStateDictConverter>(Checkpoints.Converters.StateDictConverters.All);
        Registered<PetlMethod>(PetlMethods.All);
        Registered<IPruneMethod>(PruneMethods.All);
        Registered<Training.Upstream.IUpstreamAugmentation>(Training.Upstream.UpstreamAugmentations.All);
        Registered<Fem.IClusterMetric>(Fem.ClusterMetrics.All);
        Registered<Batch.IReportFormat>(Batch.ReportFormats.All);
        Registered<Evaluation.IEvalEngine>(Evaluation.EvalEngines.All);
    }

    [Theory]
    [InlineData("Vit", "VisionTransformer")]
    [InlineData("Swin", "SwinTransformer")]
    public void Only_the_family_folder_names_its_model_class(string folder, string model)
    {
        var outside = Directory.EnumerateFiles(Core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.Combine("Models", folder), StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => File.ReadAllText(f).Contains(model, StringComparison.Ordinal))
            .Select(Path.GetFileName).ToList();
        // width pruning reads any family's blocks through Backbone.FullBlockSizes; nothing else needs the model class
        Assert.Empty(outside);
    }

    /// <summary>Every source file of the library and the command line, but not the families' own folders and the
    /// registry that lists them.</summary>
    private static IEnumerable<string> OutsideTheFamilies()
    {
        string cli = Path.Combine(Core, "..", "SlsPrune.Cli");
        string Sep(string s) => Path.DirectorySeparatorChar + s + Path.DirectorySeparatorChar;
        return new[] { Core, Path.GetFullPath(cli) }
            .SelectMany(root => Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains(Sep("obj"), StringComparison.Ordinal) && !f.Contains(Sep("bin"), StringComparison.Ordinal))
            .Where(f => !BackboneFamilies.All.Any(fam => f.Contains(Sep(Path.Combine("Models", FamilyFolder(fam))), StringComparison.Ordinal)))
            .Where(f => Path.GetFileName(f) != "BackboneFamilies.cs");
    }

    /// <summary>The folder (and namespace) of a family: the one its descriptor is declared in.</summary>
    private static string FamilyFolder(IBackboneFamily family) => family.GetType().Namespace!.Split('.')[^1];

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""")]
    private static partial Regex StringLiteral();

    /// <summary>The rule: a family is named only in its own folder under <c>Models/</c> (its types, its namespace, its
    /// name as a string) and once in <see cref="BackboneFamilies.All"/>. Everything else (the other folders of Core, the
    /// command line) reaches a family through the registry and <see cref="IBackboneFamily"/>: pre-training's shape
    /// options, inspect's title and lines, plans, width cuts. The converters of <c>Checkpoints/Converters</c> name
    /// checkpoint layouts (<c>HuggingFaceVitConverter</c>, <c>timm-swin</c>), never a family's types or name; prose in
    /// comments and help ("a small ViT or Swin") is not a reference.</summary>
    [Fact]
    public void No_file_outside_a_family_folder_names_a_family()
    {
        var families = BackboneFamilies.All.Select(f => (Name: f.Name, Namespace: f.GetType().Namespace!)).ToList();
        Assert.Contains("SlsPrune.Core.Models.Vit", families.Select(f => f.Namespace)); // the check sees the families (a new one needs no edit here)
        Assert.Contains("SlsPrune.Core.Models.Swin", families.Select(f => f.Namespace));
        var files = OutsideTheFamilies().ToList();
        Assert.Contains(files, f => f.EndsWith(Path.Combine("Training", "BackbonePretrainer.cs"), StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(Path.Combine("Output", "InspectView.cs"), StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(Path.Combine("Converters", "TimmSwinConverter.cs"), StringComparison.Ordinal));
        var leaks = files.SelectMany(f => FamilyLeaks(Path.GetFileName(f), File.ReadLines(f))).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks));
    }

    /// <summary>The lines of <paramref name="file"/> that name a family's namespace or spell its name as a string.</summary>
    private static IEnumerable<string> FamilyLeaks(string file, IEnumerable<string> lines)
    {
        foreach (var (line, number) in lines.Select((l, i) => (l.TrimStart(), i + 1)))
        {
            // the code before a comment: "//" outside the string literals
            var masked = line.ToCharArray();
            foreach (Match m in StringLiteral().Matches(line)) Array.Fill(masked, 's', m.Index, m.Length);
            int comment = new string(masked).IndexOf("//", StringComparison.Ordinal);
            string code = comment < 0 ? line : line[..comment];
            foreach (var family in BackboneFamilies.All)
            {
                // a family's types are reached through its namespace: a using line or a qualified name
                string folder = FamilyFolder(family);
                if (Regex.IsMatch(code, $@"\bModels\.{folder}\b"))
                    yield return $"{file}:{number} names Models.{folder}";
                foreach (Match m in StringLiteral().Matches(code))
                    if (string.Equals(m.Value.Trim('"'), family.Name, StringComparison.OrdinalIgnoreCase))
                        yield return $"{file}:{number} spells the family name {m.Value}";
            }
        }
    }

    [Fact]
    public void The_family_check_would_see_a_leak()
    {
        // what BackbonePretrainer and InspectView once had; comments and prose are not references
        var leaks = FamilyLeaks("X.cs", [
            "using SlsPrune.Core.Models.Swin;",
            "/// <summary>A ViT or a Swin</summary>",
            "        if (o.Family == \"swin\") x = a.Kind == \"ViT\" ? new Models.Vit.VitConfig() : null;",
            "        var d = \"a small ViT or Swin\"; // \"vit\"",
        ]).ToList();
        Assert.Equal(["X.cs:1 names Models.Swin", "X.cs:3 names Models.Vit", "X.cs:3 spells the family name \"ViT\"",
            "X.cs:3 spells the family name \"swin\""], leaks.Order(StringComparer.Ordinal));
    }

    /// <summary>A file's namespace is its folder's: <c>src/SlsPrune.Core/IO/AtomicFile.cs</c> declares
    /// <c>SlsPrune.Core.IO</c>, a file at the root <c>SlsPrune.Core</c> (the may-use table is read off namespaces).</summary>
    [Fact]
    public void Every_file_declares_its_folder_s_namespace()
    {
        var wrong = new List<string>();
        int files = 0;
        foreach (var file in Directory.EnumerateFiles(Core, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(Core, file);
            if (rel.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal) || rel.StartsWith("bin" + Path.DirectorySeparatorChar,
                StringComparison.Ordinal)) continue;
            files++;
            string folder = Path.GetDirectoryName(rel)!;
            string expected = "SlsPrune.Core" + (folder.Length == 0 ? "" : "." + folder.Replace(Path.DirectorySeparatorChar, '.'));
            var declared = File.ReadLines(file).Select(l => FileNamespace().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
            if (declared.Count != 1 || declared[0] != expected)
                wrong.Add($"{rel}: {(declared.Count == 0 ? "no namespace" : string.Join(", ", declared))}, expected {expected}");
        }
        Assert.True(files > 100, $"only {files} files seen");
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [GeneratedRegex(@"^namespace ([\w.]+)\s*[;{]?\s*$")]
    private static partial Regex FileNamespace();
    /// <summary>The library surface's files, as the .editorconfig sections that make CS1591 an error name them
    /// (<c>[src/SlsPrune.Core/Folder/{A,B}.cs]</c>).</summary>
    private static List<string> SurfaceFiles()
    {
        var files = new List<string>();
        string? section = null;
        foreach (var raw in File.ReadLines(Path.Combine(Core, "..", "..", ".editorconfig")))
        {
            string line = raw.Trim();
            if (line.StartsWith('[')) section = line.Trim('[', ']');
            else if (line == "dotnet_diagnostic.CS1591.severity = warning" && section is not null)
            {
                var m = Regex.Match(section, @"^src/SlsPrune\.Core/(.*?)(?:\{([^}]*)\})?\.cs$");
                Assert.True(m.Success, $"surface section [{section}] is not src/SlsPrune.Core/PATH.cs or src/SlsPrune.Core/FOLDER/{{A,B}}.cs");
                files.AddRange(m.Groups[2].Success ? m.Groups[2].Value.Split(',').Select(n => m.Groups[1].Value + n + ".cs") : [m.Groups[1].Value
                    + ".cs"]);
            }
        }
        return files;
    }

    [Fact]
    public void Library_surface_files_exist_and_are_listed_in_the_architecture_document()
    {
        var files = SurfaceFiles();
        Assert.Contains("Pruning/PruneRunner.cs", files);
        Assert.Contains("SlsInputException.cs", files);
        string doc = File.ReadAllText(Path.Combine(Core, "..", "..", "docs", "ARCHITECTURE.md"));
        foreach (var f in files)
        {
            Assert.True(File.Exists(Path.Combine(Core, f)), $"{f}: named as library surface in .editorconfig but not a file of src/SlsPrune.Core");
            Assert.True(doc.Contains($"`{Path.GetFileName(f)}`", StringComparison.Ordinal) || doc.Contains($"`{f}`", StringComparison.Ordinal),
                $"{f}: library surface in .editorconfig but not in docs/ARCHITECTURE.md's surface table");
        }
    }
}
