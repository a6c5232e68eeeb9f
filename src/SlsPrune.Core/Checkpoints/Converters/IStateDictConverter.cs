using static TorchSharp.torch;

namespace SlsPrune.Core.Checkpoints.Converters;

/// <summary>
/// One checkpoint layout's names and tensor layouts to the internal (timm) ones: a pure dictionary-to-dictionary
/// function, as timm's <c>checkpoint_filter_fn</c>. It is given real tensors, or META tensors when only shapes
/// are wanted, and must not read their data beyond reshaping. A converter that only renames passes the input
/// tensors through unchanged; the reader then reads just the tensors a caller keeps. A layout whose files say
/// more than the shapes (a Hugging Face folder's config) gives it as <see cref="Hints"/>.
/// </summary>
public interface IStateDictConverter
{
    /// <summary>The layout's name, as <c>sls inspect</c> prints it.</summary>
    string Name { get; }

    /// <summary>Whether a state dict with these names is in this converter's layout.</summary>
    bool Recognises(IReadOnlyCollection<string> names);

    /// <exception cref="SlsInputException">naming <paramref name="source"/> when a tensor the layout needs is missing.</exception>
    Dictionary<string, Tensor> Convert(IReadOnlyDictionary<string, Tensor> state, string source);

    /// <summary>What the layout's side files (a folder's <c>config.json</c>...) say beyond the shapes; none by default.</summary>
    /// <exception cref="SlsInputException">naming the side file when it contradicts itself or asks for what the model cannot do.</exception>
    ArchitectureHints Hints(CheckpointSource source) => ArchitectureHints.None;
}
