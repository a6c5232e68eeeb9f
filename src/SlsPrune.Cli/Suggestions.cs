using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;

namespace SlsPrune.Cli;

/// <summary>"Did you mean": for a word the parser did not recognise (a command, an option, or a value of an option that
/// takes only some), the nearest names of the command tree by edit distance (Damerau-Levenshtein, transpositions count
/// one), or none when nothing is close.</summary>
public static class Suggestions
{
    /// <summary>One line for a parse failure: what was not recognised, and the nearest names where some are close; null
    /// when the failure is not an unknown word (then the parser's own message is clearer).</summary>
    public static string? Explain(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        string path = CommandPath(parse.CommandResult);
        if (parse.UnmatchedTokens.Count > 0)
        {
            string word = parse.UnmatchedTokens[0];
            if (word.StartsWith('-'))
            {
                string name = word.Split('=', 2)[0];
                return $"unknown option '{name}' for '{path}'{Hint(name, OptionNames(parse.CommandResult))}";
            }
            if (command.Subcommands.Count > 0)
                return $"unknown command '{word}'{(command.Parents.Any() ? $" of '{path}'" : "")}"
                    + $"{Hint(word, command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name)))}";
            return null;
        }
        // a value outside an option's allowed set (--method sl): the nearest allowed values
        foreach (var error in parse.Errors)
        {
            var result = error.SymbolResult switch
            {
                OptionResult o => o,
                ArgumentResult { Parent: OptionResult o } => o,
                _ => null,
            };
            if (result is null) continue;
            var option = result.Option;
            var allowed = AllowedValues(option);
            if (allowed.Count == 0) continue;
            foreach (var token in result.Tokens)
            {
                string value = token.Value;
                if (!allowed.Contains(value, StringComparer.Ordinal))
                    return $"'{value}' is not a value of {option.Name} (one of {string.Join(", ", allowed)}){Hint(value, allowed)}";
            }
        }
        return null;
    }

    /// <summary>The values an option accepts where it takes only some (<c>AcceptOnlyFromAmong</c>), else empty; a flag's
    /// true/false are not listed.</summary>
    public static IReadOnlyList<string> AllowedValues(Option option) =>
        option.ValueType == typeof(bool) ? [] : [.. option.GetCompletions(CompletionContext.Empty).Select(c => c.Label)];

    /// <summary>"; did you mean 'x'?" (or 'x' or 'y'), or nothing when no candidate is close.</summary>
    public static string Hint(string word, IEnumerable<string> candidates)
    {
        var near = Nearest(word, candidates);
        return near.Count == 0 ? "" : $"; did you mean {string.Join(" or ", near.Select(n => $"'{n}'"))}?";
    }

    /// <summary>The candidates at the smallest edit distance from <paramref name="word"/> (case-insensitive), within a
    /// third of the word's length, rounded up (at least 1, at most 3), plus those the word is a prefix of when none is that close;
    /// in the order given.</summary>
    public static IReadOnlyList<string> Nearest(string word, IEnumerable<string> candidates)
    {
        var list = candidates.Distinct(StringComparer.Ordinal).ToList();
        string bare = word.TrimStart('-');
        int limit = Math.Clamp((bare.Length + 2) / 3, 1, 3);
        var scored = list.Select(c => (Name: c, Distance: Distance(word.ToLowerInvariant(), c.ToLowerInvariant()))).Where(x => x.Distance <= limit)
            .ToList();
        if (scored.Count > 0)
        {
            int best = scored.Min(x => x.Distance);
            return [.. scored.Where(x => x.Distance == best).Select(x => x.Name)];
        }
        return bare.Length >= 2 ? [.. list.Where(c => c.TrimStart('-').StartsWith(bare, StringComparison.OrdinalIgnoreCase))] : [];
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    /// <summary>The options a command takes: its own and the recursive ones of the commands above it (--verbose), and
    /// --help.</summary>
    private static IEnumerable<string> OptionNames(CommandResult result)
    {
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is not CommandResult c) continue;
            foreach (var o in c.Command.Options)
                if (!o.Hidden && (r == result || o.Recursive))
                    foreach (var name in o.Aliases.Prepend(o.Name)) yield return name;
        }
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Insert(0, c.Command.Parents.Any() ? c.Command.Name : "sls");
        return string.Join(' ', names);
    }
}
