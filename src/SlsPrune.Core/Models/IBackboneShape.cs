using SlsPrune.Core.Models.Petl;

namespace SlsPrune.Core.Models;

/// <summary>A backbone's full shape as a family reads it off the converted tensors: enough to build the model.
/// Only the depth and the class count are common to all families; the rest is the family's own record.</summary>
public interface IBackboneShape
{
    /// <summary>Blocks in the full backbone (a plan keeps a subset).</summary>
    int Depth { get; }

    /// <summary>Classes of the head (0: no head).</summary>
    int NumClasses { get; }

    /// <summary>The same shape with a head of <paramref name="classes"/> classes (a task's head replaces the backbone's).</summary>
    IBackboneShape WithClasses(int classes);

    /// <summary>The input size and where it came from (null: the family does not say).</summary>
    InputSizeOrigin? InputOrigin => null;

    /// <summary>About the most bytes one image's activations take in a block of this shape (float32; 0: not known),
    /// from its numbers alone: what <see cref="ActivationBudget"/> bounds before a model is built.</summary>
    long ActivationBytesPerImage => 0;

    /// <summary>About how many parameters a model of this shape holds with <paramref name="petl"/>'s modules (every
    /// block at full width; a double, so an absurd shape does not overflow; 0: not known): what
    /// <see cref="ActivationBudget.CheckTraining"/> bounds before a model is built.</summary>
    double Parameters(PetlSettings petl) => 0;
}
