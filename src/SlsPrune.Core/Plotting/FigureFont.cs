using ScottPlot;
using SkiaSharp;

namespace SlsPrune.Core.Plotting;

/// <summary>The one font every figure uses: DejaVu Sans, embedded in the assembly and put first among ScottPlot's
/// font resolvers, so text renders the same on a machine with no system fonts at all.</summary>
public static class FigureFont
{
    public const string Name = "DejaVu Sans";

    private static readonly Lock Gate = new();
    private static SKTypeface? typeface;
    private static int resolved;

    /// <summary>The shipped typeface (loaded once from the embedded resource).</summary>
    public static SKTypeface Typeface
    {
        get
        {
            lock (Gate)
            {
                if (typeface is null)
                {
                    using var s = typeof(FigureFont).Assembly.GetManifestResourceStream("SlsPrune.Core.Plotting.DejaVuSans.ttf")
                        ?? throw new InvalidOperationException("the embedded figure font is missing from the assembly");
                    using var data = SKData.Create(s);
                    typeface = SKTypeface.FromData(data) ?? throw new InvalidOperationException("the embedded figure font does not load");
                }
                return typeface;
            }
        }
    }

    /// <summary>How often ScottPlot asked for a typeface and got the shipped one (tests read it).</summary>
    public static int Resolved => Volatile.Read(ref resolved);

    /// <summary>Registers the shipped font with ScottPlot (once) and makes it the default.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (Fonts.FontResolvers.OfType<Resolver>().Any()) return;
            Fonts.FontResolvers.Insert(0, new Resolver());
            Fonts.Default = Name;
            Fonts.Sans = Name;
        }
    }

    /// <summary>Applies the font to every label of a plot.</summary>
    public static void Apply(Plot plot)
    {
        Register();
        plot.Font.Set(Name);
        plot.Legend.FontName = Name;
    }

    private sealed class Resolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => Create(fontName);

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) => Create(fontName);

        private static SKTypeface? Create(string fontName)
        {
            if (!string.Equals(fontName, Name, StringComparison.OrdinalIgnoreCase)) return null;
            Interlocked.Increment(ref resolved);
            return Typeface;
        }
    }
}
