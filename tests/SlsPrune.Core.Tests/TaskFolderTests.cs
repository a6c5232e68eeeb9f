using System.Diagnostics;
using SlsPrune.Core.Data;

namespace SlsPrune.Core.Tests;

/// <summary>Image paths are resolved before use: links are followed, but a link to /dev/zero and a FIFO are refused
/// by name, one line each, without reading them.</summary>
public sealed class TaskFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sls-task-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Refusal(string entry, Action<string> make)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "images"));
        File.WriteAllBytes(Path.Combine(_dir, "images", "ok.png"), [1]);
        make(Path.Combine(_dir, "images", entry));
        File.WriteAllText(Path.Combine(_dir, "train800.txt"), $"images/ok.png 0\nimages/{entry} 1\n");
        return Assert.Throws<SlsInputException>(() => VtabTask.Open(_dir).Read("train800")).Message;
    }

    [Fact]
    public void A_link_to_a_kernel_device_is_refused()
    {
        string message = Refusal("link.png", p => File.CreateSymbolicLink(p, "/dev/zero"));
        Assert.Equal($"{_dir}/train800.txt:2: image 'images/link.png' leads to '/dev/zero', a kernel interface under /proc, /sys or /dev, not an "
            + $"image", message);
    }

    /// <summary>Links are followed wherever they lead, as in the ImageFolder and CSV layouts (torchvision and pandas
    /// do): to a file out of the folder, or through a linked folder.</summary>
    [Fact]
    public void Links_out_of_the_folder_are_followed()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "images"));
        string outside = Directory.CreateTempSubdirectory("sls-task-outside-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(outside, "a.png"), [1]);
            File.CreateSymbolicLink(Path.Combine(_dir, "images", "link.png"), Path.Combine(outside, "a.png"));
            Directory.CreateSymbolicLink(Path.Combine(_dir, "linked"), outside);
            File.WriteAllText(Path.Combine(_dir, "train800.txt"), "images/link.png 0\nlinked/a.png 1\n");
            Assert.Equal(2, VtabTask.Open(_dir).Read("train800").Count);
        }
        finally
        {
            Directory.Delete(outside, true);
        }
    }

    [Fact]
    public void A_link_inside_the_folder_is_read()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "images"));
        File.WriteAllBytes(Path.Combine(_dir, "images", "ok.png"), [1]);
        File.CreateSymbolicLink(Path.Combine(_dir, "images", "alias.png"), "ok.png");
        File.WriteAllText(Path.Combine(_dir, "train800.txt"), "images/alias.png 0\n");
        Assert.Single(VtabTask.Open(_dir).Read("train800"));
    }

    [Fact]
    public void A_fifo_is_refused_without_blocking()
    {
        string message = Refusal("fifo.png", p => Process.Start("mkfifo", p)!.WaitForExit());
        Assert.Equal($"{_dir}/train800.txt:2: image 'images/fifo.png' is not a regular file (a FIFO, device or folder)", message);
    }

    [Fact]
    public void A_nul_in_a_path_is_refused()
    {
        string message = Refusal("a.png", _ => { });
        File.WriteAllText(Path.Combine(_dir, "train800.txt"), "images/a\0.png 0\n");
        message = Assert.Throws<SlsInputException>(() => VtabTask.Open(_dir).Read("train800")).Message;
        Assert.Equal($"{_dir}/train800.txt:1: image path 'images/a\\x00.png' contains a NUL character", message);
    }
}
