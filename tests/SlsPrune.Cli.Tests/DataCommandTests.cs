using System.Buffers.Binary;
using System.Text.Json;

namespace SlsPrune.Cli.Tests;

public class DataCommandTests
{
    private static void WriteIdx(string path, byte[] header, byte[] data)
    {
        using var f = File.Create(path);
        f.Write(header);
        f.Write(data);
    }

    private static byte[] Header(params int[] shape)
    {
        var h = new byte[4 + 4 * shape.Length];
        h[2] = 0x08;
        h[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + 4 * i), shape[i]);
        return h;
    }

    [Fact]
    public void Builds_vtab_sized_tasks_and_reports_them_as_json()
    {
        var src = Directory.CreateTempSubdirectory("sls-cli-fm-").FullName;
        foreach (var (prefix, n) in new[] { ("train", 30), ("t10k", 4000) })
        {
            var images = new byte[n * 784];
            for (int i = 0; i < n; i++)
                for (int y = 8; y < 20; y++)
                    for (int x = 8; x < 20; x++) images[i * 784 + y * 28 + x] = (byte)(100 + i % 150);
            WriteIdx(Path.Combine(src, $"{prefix}-images-idx3-ubyte"), Header(n, 28, 28), images);
            WriteIdx(Path.Combine(src, $"{prefix}-labels-idx1-ubyte"), Header(n), Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray());
        }
        string outDir = Path.Combine(src, "out");
        var (code, output, err) = CliRunner.Run("data", "fashion-mnist", "--out", outDir, "--source", src, "--seed", "9", "--json");
        Assert.True(code == 0, err);
        var r = JsonDocument.Parse(output).RootElement;
        Assert.Equal(30, r.GetProperty("upstream_images").GetInt32());
        Assert.Equal(9, r.GetProperty("seed").GetInt32());
        var tasks = r.GetProperty("tasks").EnumerateArray().ToList();
        Assert.Equal(7, tasks.Count);
        foreach (var t in tasks)
        {
            Assert.Equal(800, t.GetProperty("train").GetInt32());
            string dir = t.GetProperty("path").GetString()!;
            Assert.Equal(800, File.ReadAllLines(Path.Combine(dir, "train800.txt")).Length);
            Assert.Equal(200, File.ReadAllLines(Path.Combine(dir, "val200.txt")).Length);
            Assert.Equal(1000, File.ReadAllLines(Path.Combine(dir, "train800val200.txt")).Length);
            Assert.Equal(1000, File.ReadAllLines(Path.Combine(dir, "test.txt")).Length);
        }
        Assert.Contains("task 7/7", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_dataset_exits_2_naming_the_package()
    {
        var empty = Directory.CreateTempSubdirectory("sls-cli-fm-empty-").FullName;
        var (code, output, err) = CliRunner.Run("data", "fashion-mnist", "--out", Path.Combine(empty, "o"), "--source", empty);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("apt-get install dataset-fashion-mnist", line, StringComparison.Ordinal);
    }
}
