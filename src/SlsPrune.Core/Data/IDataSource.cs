namespace SlsPrune.Core.Data;

/// <summary>One layout of data on disk (a VTAB-1k task folder, an ImageFolder tree, a CSV file): recognised by
/// the path's contents, opened into an <see cref="IDataSource"/>. Registered in <see cref="DataLayouts.All"/>.</summary>
public interface IDataLayout
{
    /// <summary>The name said when it is detected (<c>vtab</c>, <c>imagefolder</c>, <c>csv</c>).</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Whether the path looks like this layout (cheap: names and a few bytes, no image read).</summary>
    bool Detect(string path);

    IDataSource Open(string path, DataOptions options);
}

/// <summary>Labelled images in named splits, with class names where the layout has them.</summary>
public interface IDataSource
{
    /// <summary>The layout's name (<see cref="IDataLayout.Name"/>).</summary>
    string Layout { get; }

    /// <summary>The task's name: the folder's or the CSV file's (without extension).</summary>
    string Name { get; }

    /// <summary>The folder image paths are relative to (the task folder, the tree's root, the CSV's folder).</summary>
    string Folder { get; }

    /// <summary>The splits there are, in the layout's order.</summary>
    IReadOnlyList<string> Splits { get; }

    /// <summary>Class i's name, for every class of the task; null where the layout does not name them.</summary>
    IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The file or folder named in a split's errors (its list file, its folder, the CSV).</summary>
    string Where(string split);

    /// <summary>A split's images, every one checked to exist.</summary>
    /// <param name="numClasses">when given, the head's size: a label at or above it, or more classes than it, is an error.</param>
    IReadOnlyList<LabelledImage> Read(string split, int? numClasses = null);
}
