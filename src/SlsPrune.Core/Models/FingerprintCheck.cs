using SlsPrune.Core.IO;

namespace SlsPrune.Core.Models;

/// <summary>The files a result (a pruning index) was computed for: building a model from other files is refused,
/// naming <see cref="Source"/> (a <see cref="Subject"/>) and both hashes, unless <see cref="AllowMismatch"/>.</summary>
public sealed record FingerprintCheck(string Source, FileFingerprint Backbone, FileFingerprint? Petl, bool AllowMismatch = false, string Subject =
    "index")
{
    public void Verify(BuiltModel model)
    {
        if (AllowMismatch) return;
        Compare("backbone", Backbone, model.BackboneFile);
        if (Petl is not null && model.PetlFile is not null) Compare("PETL", Petl, model.PetlFile);
    }

    private void Compare(string what, FileFingerprint expected, FileFingerprint actual)
    {
        if (!expected.Matches(actual.Sha256))
            throw new SlsInputException(Source, $"{Subject} was computed for a different {what} file (SHA-256 {Short(expected.Sha256)}..., "
                + $"{actual.Path} has {Short(actual.Sha256)}...); pass --allow-mismatch to use it anyway");
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
