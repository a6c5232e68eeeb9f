using System.Diagnostics;
using SlsPrune.Core.Data;

namespace SlsPrune.Core.Tests;

/// <summary>Image paths are resolved before use: a link out of the task folder (to a file, or to /dev/zero) and a
/// FIFO inside it are refused by name, one line each, without reading them.</summary>
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

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/dev/zero")]
    public void A_link_out_of_the_folder_is_refused(string target)
    {
        string message = Refusal("link.png", p => File.CreateSymbolicLink(p, target));
        Assert.Equal($"{_dir}/train800.txt:2: image 'images/link.png' is a link to '{target}', outside the task folder", message);
    }

    [Fact]
    public void A_linked_folder_that_leads_out_is_refused()
    {
        string message = Refusal("x.png", _ => { });
        Directory.Delete(Path.Combine(_dir, "images"), true);
        Directory.CreateSymbolicLink(Path.Combine(_dir, "images"), "/etc");
        File.WriteAllText(Path.Combine(_dir, "train800.txt"), "images/passwd 0\n");
        message = Assert.Throws<SlsInputException>(() => VtabTask.Open(_dir).Read("train800")).Message;
        Assert.Equal($"{_dir}/train800.txt:1: image 'images/passwd' is a link to '/etc/passwd', outside the task folder", message);
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
