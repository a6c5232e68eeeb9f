namespace SlsPrune.Core.Data.Layouts;

/// <summary>
/// An ImageFolder tree as torchvision reads it: <c>ROOT/CLASS/*</c> (one split, <c>all</c>) or
/// <c>ROOT/{train,val,test}/CLASS/*</c>. Class i is the i-th class folder name in ordinal order, over the union of
/// the splits. Every file under a class folder (at any depth; hidden files skipped) must be an image, checked
/// when the tree is opened; an empty class folder is an error. Symbolic links are followed (<see cref="FolderWalk"/>
/// bounds the walk: no loops, no system folders, at most 2,000,000 entries and 32 levels).
/// </summary>
public sealed class ImageFolderLayout : IDataLayout
{
    public static readonly string[] SplitNames = ["train", "val", "test"];

    public const string Whole = "all";

    public string Name => "imagefolder";

    public string Description => "ImageFolder tree (ROOT/CLASS/image or ROOT/{train,val,test}/CLASS/image)";

    private static readonly EnumerationOptions Visible = new()
    {
        AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
        IgnoreInaccessible = false
    };

    private static IEnumerable<string> Folders(string path) => Directory.EnumerateDirectories(path, "*", Visible);

    public bool Detect(string path) => Directory.Exists(path) && Folders(path).Any();

    public IDataSource Open(string path, DataOptions options)
    {
        string root = Path.GetFullPath(path);
        FolderWalk.Enter(root);
        var walk = new FolderWalk(root);
        var splitFolders = SplitNames.Where(s => Directory.Exists(Path.Combine(root, s))).ToArray();
        var splits = new List<(string, IReadOnlyList<NamedImage>)>();
        if (splitFolders.Length > 0)
        {
            var others = Folders(root).Select(Path.GetFileName).Where(n => !SplitNames.Contains(n)).Order(StringComparer.Ordinal).ToArray();
            if (others.Length > 0) options.Report?.Invoke($"{Printable.Escape(root)}: folders other than {string.Join(", ", SplitNames)} are not "
                + $"read ({string.Join(", ", others.Select(o => Printable.Escape(o!)))})");
            foreach (var s in splitFolders) splits.Add((s, Classes(Path.Combine(root, s), walk)));
        }
        else
        {
            splits.Add((Whole, Classes(root, walk)));
        }
        string Where(string split) => split == Whole || !SplitNames.Contains(split) ? root : Path.Combine(root, split);
        return LabelledSource.Create(Name, Path.GetFileName(Path.TrimEndingDirectorySeparator(root)), root, splits, byName: true, Where, options);
    }

    private static IReadOnlyList<NamedImage> Classes(string folder, FolderWalk walk)
    {
        var classes = walk.Entries(folder).Where(Directory.Exists).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0) throw new SlsInputException(folder, "has no class folders (expected FOLDER/CLASS/image files)");
        var images = new List<NamedImage>();
        foreach (var c in classes)
        {
            string name = Path.GetFileName(c);
            var files = walk.Files(c);
            if (files.Count == 0) throw new SlsInputException(c, "class folder is empty");
            foreach (var f in files)
            {
                ImageFiles.Check(f);
                images.Add(new NamedImage(f, name));
            }
        }
        return images;
    }
}
