namespace SlsPrune.Cli.Tests;

/// <summary>Every number an option gives is checked before anything is sized by it or computed with it (the hostile
/// audit's cases): each refusal is exit 2, nothing on stdout, one line naming the option, and nothing written. Before,
/// these reached 21 GB, a libtorch trace (exit 1), an unhandled .NET exception (exit 134), .NET's JSON or arithmetic
/// messages, or trained NaN weights at exit 0.</summary>
public class OptionBoundsTests
{
    private static readonly string Backbone = CliRunner.Fixture("backbone.safetensors");

    private static string[] Model => ["--backbone", Backbone, "--petl", CliRunner.Fixture("convpass.safetensors"), "--heads", "3", "--device", "cpu"];

    /// <summary>Runs <c>sls</c> expecting a refusal: exit 2, no stdout, the line <paramref name="expected"/> last on stderr
    /// (progress lines may come before it), no trace; and nothing written into <paramref name="outDir"/> where given.</summary>
    private static void Refused(string expected, string? outDir, params string[] args)
    {
        var (code, stdout, err) = CliRunner.Run(args);
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Equal("", stdout);
        Assert.Equal(expected, err.Trim().Split('\n')[^1]);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        if (outDir is not null) Assert.Empty(Directory.EnumerateFileSystemEntries(outDir));
    }

    private static string Temp() => Directory.CreateTempSubdirectory("sls-bounds-").FullName;

    [Fact]
    public void Throughput_and_latency_batches_are_bounded_before_a_batch_is_made()
    {
        string task = PruneEvalCommandTests.Task(3, 2), dir = Temp();
        try
        {
            string[] eval = ["eval", .. Model, "--data", task, "--split", "test", "--allow-class-mismatch", "--throughput", "--repeats", "1"];
            Refused("sls: --throughput-batches: must be within 1..4096 (got 1000000)", null, [.. eval, "--throughput-batches", "1000000"]);
            Refused("sls: --throughput-batches: must be within 1..4096 (got 2147483647)", null, [.. eval, "--throughput-batches", "2147483647"]);
            Refused("sls: --throughput-batches: '1,,2' has an empty entry", null, [.. eval, "--throughput-batches", "1,,2"]);
            // within the cap, but not within the activation budget at this input size: refused before the accuracy pass
            Refused("sls: --throughput-batches: 4096 images at 224 px take about 91.5 GiB of activations per block, more than the 8 GiB bound; "
                + "use --throughput-batches 358 or less, or a smaller --image-size", null,
                [.. eval, "--image-size", "224", "--throughput-batches", "1,4096"]);
            Refused("sls: --latency-batch: must be within 1..4096 (got 200000)", dir, ["prune", .. Model, "--data", task, "--budget", "latency=1ms",
                "--latency-batch", "200000", "--out", Path.Combine(dir, "i.sls.json")]);
            string manifest = Path.Combine(dir, "m.yaml");
            File.WriteAllText(manifest, $"backbone: {Backbone}\ndefaults:\n  heads: 3\n  budget: latency=1ms\n  latency_batch: 2147483647\n"
                + $"tasks:\n  - name: a\n    data: {task}\n");
            var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", Path.Combine(dir, "out"), "--dry-run");
            Assert.Equal(2, code);
            Assert.Equal($"sls: {manifest}: task 'a': latency_batch must be an integer within 1..4096 (got 2147483647)", err.Trim().Split('\n')[^1]);
            Assert.False(Directory.Exists(Path.Combine(dir, "out")));
        }
        finally
        {
            Directory.Delete(task, true);
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Train_bounds_the_petl_dim_and_its_modules_and_refuses_non_finite_hyper_parameters()
    {
        string task = PruneEvalCommandTests.Task(3, 2), dir = Temp();
        try
        {
            string[] train = ["train", "--backbone", Backbone, "--heads", "3", "--device", "cpu", "--data", task, "--petl-method", "convpass",
                "--epochs", "1", "--out", Path.Combine(dir, "p.safetensors")];
            Refused("sls: --petl-dim: must be within 1..65536 (got 2147483647)", dir, [.. train, "--petl-dim", "2147483647"]);
            Refused("sls: --petl-dim: the PETL modules would hold about 1.9 billion parameters (29 GiB to train, with gradients and AdamW's "
                + "moments), more than the 8 GiB bound", dir, [.. train, "--petl-dim", "6000"]);
            foreach (var (option, value, expected) in new[]
            {
                ("--lr", "NaN", "sls: --lr: must be a finite number (got NaN)"),
                ("--lr", "1e400", "sls: --lr: must be a finite number (got Infinity)"),
                ("--lr", "-1", "sls: --lr: must be above 0 and at most 1 (got -1)"),
                ("--lr", "5", "sls: --lr: must be above 0 and at most 1 (got 5)"),
                ("--min-lr", "NaN", "sls: --min-lr: must be a finite number (got NaN)"),
                ("--weight-decay", "Infinity", "sls: --weight-decay: must be a finite number (got Infinity)"),
                ("--weight-decay", "-5", "sls: --weight-decay: must be a non-negative number (got -5)"),
                ("--petl-scale", "NaN", "sls: --petl-scale: must be a finite number (got NaN)"),
            })
                Refused(expected, dir, [.. train, option, value]);
            Refused("sls: --lora-alpha: must be a finite number (got Infinity)", dir,
                [.. train[..^5], "lora", "--epochs", "1", "--out", Path.Combine(dir, "p.safetensors"), "--lora-alpha", "Infinity"]);
        }
        finally
        {
            Directory.Delete(task, true);
            Directory.Delete(dir, true);
        }
    }

    /// <summary>The command-level validator read values that had not parsed: .NET's unhandled exception, exit 134.</summary>
    [Theory]
    [InlineData("sls: 'abc' is not a number for --lora-alpha (run 'sls --help' for usage)", "--petl-method", "lora", "--lora-alpha", "abc")]
    [InlineData("sls: Option '--strategy' expects a single argument but 2 were provided. (run 'sls --help' for usage)", "--petl-method", "convpass",
        "--strategy", "ft", "--strategy", "clr")]
    [InlineData("sls: Required argument missing for option: '--index'. (run 'sls --help' for usage)", "--petl-method", "convpass", "--index")]
    public void Train_refuses_a_value_that_does_not_parse_in_one_line(string expected, params string[] args)
    {
        string dir = Temp();
        try
        {
            Refused(expected, dir, ["train", "--backbone", Backbone, "--data", dir, "--out", Path.Combine(dir, "p.safetensors"), .. args]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Pretrain_bounds_every_shape_option_and_the_model_before_building_it()
    {
        string dir = Temp();
        try
        {
            string upstream = Path.Combine(dir, "up.safetensors");
            File.WriteAllText(upstream, "refused before it is read");
            string outDir = Path.Combine(dir, "o");
            Directory.CreateDirectory(outDir);
            string[] pretrain = ["pretrain", "--upstream", upstream, "--out", Path.Combine(outDir, "bb.safetensors"), "--epochs", "1",
                "--limit", "32", "--batch-size", "16", "--device", "cpu"];
            foreach (var (args, expected) in new (string[], string)[]
            {
                (["--depth", "100000"], "sls: --depth: must be within 1..1024 (got 100000)"),
                (["--depth", "2147483647"], "sls: --depth: must be within 1..1024 (got 2147483647)"),
                (["--image-size", "4096", "--patch", "32"], "sls: --image-size: at 4096 px one image's activations take about 9.1 GiB per block, "
                    + "more than the 8 GiB bound; use a smaller --image-size"),
                (["--family", "swin", "--depths", "1,1,1,1,1,1,1,1,1,1"], "sls: --depths: takes at most 8 values, not 10"),
                (["--family", "swin", "--depths", "1,1,1,1,1,1,1,1"], "sls: --width, --depths, --stage-heads, --window, --mlp-ratio: the model "
                    + "would hold about 11.3 billion parameters (168 GiB to train, with gradients and AdamW's moments), more than the 8 GiB bound"),
                (["--width", "8192", "--heads", "8"], "sls: --width, --depth, --heads, --mlp: the model would hold about 2.2 billion parameters "
                    + "(32.8 GiB to train, with gradients and AdamW's moments), more than the 8 GiB bound"),
                (["--mlp", "2147483647"], "sls: --mlp: must be within 1..65536 (got 2147483647)"),
                (["--family", "swin", "--window", "2147483647"], "sls: --window: must be within 1..256 (got 2147483647)"),
                (["--family", "swin", "--mlp-ratio", "2147483647"], "sls: --mlp-ratio: must be within 1..64 (got 2147483647)"),
                (["--patch", "0"], "sls: --patch: must be within 1..32 (the --image-size; got 0)"),
                (["--heads", "0"], "sls: --heads: must be within 1..4096 (got 0)"),
                (["--mlp", "0"], "sls: --mlp: must be within 1..65536 (got 0)"),
                (["--width", "193"], "sls: --width: 193 is not a multiple of the 3 heads (--heads)"),
                (["--width", "0"], "sls: --width: must be within 1..16384 (got 0)"),
                (["--lr", "NaN"], "sls: --lr: must be a finite number (got NaN)"),
            })
                Refused(expected, outDir, [.. pretrain, .. args]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Prune_refuses_non_finite_method_settings_by_option_and_a_perplexity_below_one()
    {
        string task = PruneEvalCommandTests.Task(3, 2), dir = Temp();
        try
        {
            string[] prune = ["prune", .. Model, "--data", task, "--out", Path.Combine(dir, "i.sls.json")];
            foreach (var (args, expected) in new (string[], string)[]
            {
                (["--perplexity", "NaN"], "sls: --perplexity: must be a finite number (got NaN)"),
                (["--perplexity", "1e400"], "sls: --perplexity: must be a finite number (got Infinity)"),
                (["--perplexity", "-Infinity"], "sls: --perplexity: must be a finite number (got -Infinity)"),
                (["--perplexity", "1e-300"], "sls: --perplexity: must be at least 1 (got 1E-300)"),
                (["--perplexity", "0.5"], "sls: --perplexity: must be at least 1 (got 0.5)"),
                (["--max-drop", "NaN"], "sls: --max-drop: must be a finite number (got NaN)"),
                (["--method", "depgraph", "--ratio", "NaN"], "sls: --ratio: must be a finite number (got NaN)"),
                (["--method", "aglp", "--aglp-fraction", "NaN"], "sls: --aglp-fraction: must be a finite number (got NaN)"),
                (["--method", "aglp", "--aglp-lr", "Infinity"], "sls: --aglp-lr: must be a finite number (got Infinity)"),
            })
                Refused(expected, dir, [.. prune, .. args]);
            string manifest = Path.Combine(dir, "m.json");
            File.WriteAllText(manifest, $$"""{"backbone": "{{Backbone}}", "defaults": {"heads": 3, "perplexity": 1e400}, """
                + $$"""  "tasks": [{"name": "a", "data": "{{task}}"}]}""");
            var (code, _, err) = CliRunner.Run("batch", "--manifest", manifest, "--out", Path.Combine(dir, "out"), "--dry-run");
            Assert.Equal(2, code);
            Assert.Equal($"sls: {manifest}: task 'a': setting 'perplexity' must be a finite number (got Infinity) for method sls",
                err.Trim().Split('\n')[^1]);
        }
        finally
        {
            Directory.Delete(task, true);
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("1e308", 2, 3, 100, "field 'full.top1' must be a number within 0..1")]
    [InlineData("-5", 2, 3, 100, "field 'full.top1' must be a number within 0..1")]
    [InlineData("0.9", 50, 3, 100, "field 'kept_blocks' must be at most the depth (3)")]
    [InlineData("0.9", 2, 3, -100, "field 'full.flops_per_image' must be an integer of 0 or more")]
    public void Report_refuses_a_result_whose_values_are_out_of_their_range(string top1, int kept, int depth, long flops, string problem)
    {
        string dir = Temp();
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "results"));
            string result = Path.Combine(dir, "results", "a.json");
            string Stage(string t1, long f) => $$"""{"top1": {{t1}}, "flops_per_image": {{f}}, "storage": {"per_task_bytes": 10}, """
                + """ "throughput": [{"images_per_second": 5.0}]}""";
            File.WriteAllText(result, $$"""{"task": "a", "group": "natural", "status": "ok", "error": null, "seconds": 1.0, "train": null, """
                + $$""" "full": {{Stage(top1, flops)}}, "kept_blocks": {{kept}}, "depth": {{depth}}, "pruned": {{Stage("0.5", 100)}}, """
                + """ "retrain": null, "retrained": null, "method": "sls", "method_seconds": null}""");
            foreach (var format in new[] { "json", "md" })
                Refused($"sls: {result}: not a batch result: {problem}", null, "report", dir, "--format", format);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("has 6 images; --train 2147483647 --val 200 needs 2147483847", "--train", "2147483647")]
    [InlineData("has 6 images; --train 1 --val 1 --test 2147483647 needs 2147483649", "--train", "1", "--val", "1", "--test", "2147483647")]
    public void Data_split_counts_near_the_integer_limit_are_refused_with_what_they_need(string problem, params string[] counts)
    {
        string task = PruneEvalCommandTests.Task(3, 2), dir = Temp();
        try
        {
            string tree = Path.Combine(dir, "tree");
            foreach (var c in new[] { "a", "b" })
            {
                Directory.CreateDirectory(Path.Combine(tree, c));
                for (int i = 0; i < 3; i++)
                    File.Copy(Path.Combine(task, "images", $"{(c == "a" ? 0 : 1)}_{i}.png"), Path.Combine(tree, c, $"{i}.png"));
            }
            string outDir = Path.Combine(dir, "out");
            Directory.CreateDirectory(outDir);
            Refused($"sls: {tree}: {problem}", outDir, ["data", "split", tree, "--out", Path.Combine(outDir, "s"), .. counts]);
        }
        finally
        {
            Directory.Delete(task, true);
            Directory.Delete(dir, true);
        }
    }

    /// <summary>libgomp read an OMP_NUM_THREADS of 100,000 at load and the first convolution overflowed its stack (exit 134).</summary>
    [Theory]
    [InlineData("100000")]
    [InlineData("abc")]
    public void An_omp_num_threads_out_of_range_is_replaced_before_libtorch_loads_with_one_warning(string value)
    {
        if (!OperatingSystem.IsLinux()) return;
        string task = PruneEvalCommandTests.Task(3, 2);
        try
        {
            var (code, stdout, err) = CliProcess.Run(OmpThreads.Variable, value, ["eval", .. Model, "--data", task, "--split", "test",
                "--allow-class-mismatch", "--json"]);
            Assert.True(code == 0, err);
            Assert.Contains("\"top1\"", stdout, StringComparison.Ordinal);
            string warning = err.Split('\n').Single(l => l.StartsWith("sls: warning: OMP_NUM_THREADS", StringComparison.Ordinal));
            Assert.Equal($"sls: warning: OMP_NUM_THREADS '{value}' is not a thread count within 1..4096; using "
                + $"{Math.Clamp(Environment.ProcessorCount, 1, 4096)} (the processors) for this run", warning);
            var ok = CliProcess.Run(OmpThreads.Variable, "2,1", ["eval", .. Model, "--data", task, "--split", "test", "--allow-class-mismatch"]);
            Assert.True(ok.Code == 0, ok.Err);
            Assert.DoesNotContain("OMP_NUM_THREADS", ok.Err, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(task, true);
        }
    }

    [Fact]
    public void The_data_folder_in_evals_progress_line_and_a_path_in_a_parse_error_are_escaped()
    {
        string task = PruneEvalCommandTests.Task(3, 2), dir = Temp();
        try
        {
            string weird = Path.Combine(dir, "t\u001b]0;pwned\u0007\nX");
            Directory.Move(task, weird);
            var (code, _, err) = CliRunner.Run(["eval", .. Model, "--data", weird, "--split", "test", "--allow-class-mismatch"]);
            Assert.True(code == 0, err);
            Assert.Contains("sls: eval: test split of t\\x1b]0;pwned\\x07\\x0aX\n", err, StringComparison.Ordinal);
            Assert.DoesNotContain('\u001b', err);
            Refused("sls: File or directory does not exist: 'weird/\\x1b[31mred.safetensors'. (run 'sls --help' for usage)", null,
                "inspect", "weird/\u001b[31mred.safetensors");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Split_lists_and_csv_files_are_bounded_in_size_lines_and_line_length()
    {
        string task = PruneEvalCommandTests.Task(3, 2);
        try
        {
            string[] eval = ["eval", .. Model, "--data", task, "--split", "test", "--allow-class-mismatch"];
            string list = Path.Combine(task, "test.txt");
            File.WriteAllText(list, "images/0_0.png 0\n" + new string('a', 8193) + " 0\n");
            Refused($"sls: {list}:2: line is longer than 8192 characters; a split list's lines are at most 8192", null, eval);
            File.WriteAllText(list, string.Concat(Enumerable.Repeat("x 0\n", 2_000_001)));
            Refused($"sls: {list}: has more than 2000000 lines; a split list is at most 2000000", null, eval);
            using (var f = File.Create(list)) f.SetLength((128L << 20) + 1);
            Refused($"sls: {list}: is 128.0 MiB; a split list is at most 128 MiB", null, eval);
            string csv = Path.Combine(task, "data.csv");
            File.WriteAllText(csv, "path,label\nimages/0_0.png," + new string('7', 9000) + "\n");
            Refused($"sls: {csv}:2: line is longer than 8192 characters; a CSV data file's lines are at most 8192", null,
                ["eval", .. Model, "--data", csv, "--allow-class-mismatch"]);
        }
        finally
        {
            Directory.Delete(task, true);
        }
    }
}
