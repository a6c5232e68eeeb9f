// Marks one symbol-version requirement of an ELF64 shared library as weak (VER_FLG_WEAK) so that the
// dynamic loader accepts a system libstdc++ that lacks the version. Used by the build (an MSBuild
// inline task, see TorchSharpNative.targets) and by the tests (linked into the test project).
// TorchSharp-cpu 0.107.0's libLibTorchSharp.so asks for GLIBCXX_3.4.32 only for
// std::ios_base_library_init(), a link anchor that is never called; Debian 12 stops at 3.4.30.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace SlsPrune.Build
{
    public static class GlibcxxWeakener
    {
        public const ushort VerFlgWeak = 2;
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>The version requirements (library, version, flags, file offset of vna_flags) in .gnu.version_r.</summary>
        public static List<(string File, string Version, ushort Flags, long FlagsOffset)> ReadVersionNeeds(byte[] elf)
        {
            var result = new List<(string, string, ushort, long)>();
            var (section, strtab) = FindSection(elf, ShtGnuVerneed);
            if (section is null) return result;
            var (off, _, count) = section.Value;
            long vn = off;
            for (uint i = 0; i < count; i++)
            {
                ushort cnt = U16(elf, vn + 2);
                string file = CString(elf, strtab + U32(elf, vn + 4));
                long aux = vn + U32(elf, vn + 8);
                for (int j = 0; j < cnt; j++)
                {
                    string name = CString(elf, strtab + U32(elf, aux + 8));
                    result.Add((file, name, U16(elf, aux + 4), aux + 4));
                    uint next = U32(elf, aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = U32(elf, vn + 12);
                if (vnNext == 0) break;
                vn += vnNext;
            }
            return result;
        }

        /// <summary>The version names a library defines in .gnu.version_d (for example GLIBCXX_3.4.30).</summary>
        public static List<string> ReadVersionDefinitions(byte[] elf)
        {
            var result = new List<string>();
            var (section, strtab) = FindSection(elf, ShtGnuVerdef);
            if (section is null) return result;
            var (off, _, count) = section.Value;
            long vd = off;
            for (uint i = 0; i < count; i++)
            {
                long aux = vd + U32(elf, vd + 12);
                result.Add(CString(elf, strtab + U32(elf, aux)));
                uint next = U32(elf, vd + 16);
                if (next == 0) break;
                vd += next;
            }
            return result;
        }

        /// <summary>Sets VER_FLG_WEAK on every requirement of <paramref name="version"/>; returns how many changed.</summary>
        public static int MarkWeak(byte[] elf, string version)
        {
            int changed = 0;
            foreach (var need in ReadVersionNeeds(elf))
            {
                if (need.Version != version || (need.Flags & VerFlgWeak) != 0) continue;
                ushort flags = (ushort)(need.Flags | VerFlgWeak);
                elf[need.FlagsOffset] = (byte)flags;
                elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
                changed++;
            }
            return changed;
        }

        /// <summary>Patches <paramref name="path"/> in place (write to a temporary file, then rename).</summary>
        public static int PatchFile(string path, string version)
        {
            byte[] elf = File.ReadAllBytes(path);
            int changed = MarkWeak(elf, version);
            if (changed == 0) return 0;
            string tmp = path + ".weak.tmp";
            File.WriteAllBytes(tmp, elf);
            File.Replace(tmp, path, null);
            return changed;
        }

        /// <summary>True when the libstdc++ at <paramref name="libstdcxx"/> defines <paramref name="version"/>.</summary>
        public static bool Defines(string libstdcxx, string version) => ReadVersionDefinitions(File.ReadAllBytes(libstdcxx)).Contains(version);

        private static ((long Offset, long Size, uint Info)?, long StrtabOffset) FindSection(byte[] elf, uint type)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only little-endian ELF64 is supported");
            long shoff = (long)U64(elf, 0x28);
            int shentsize = U16(elf, 0x3A);
            int shnum = U16(elf, 0x3C);
            for (int i = 0; i < shnum; i++)
            {
                long sh = shoff + (long)i * shentsize;
                if (U32(elf, sh + 4) != type) continue;
                long offset = (long)U64(elf, sh + 0x18);
                long size = (long)U64(elf, sh + 0x20);
                uint link = U32(elf, sh + 0x28);
                uint info = U32(elf, sh + 0x2C);
                long strtab = (long)U64(elf, shoff + (long)link * shentsize + 0x18);
                return ((offset, size, info), strtab);
            }
            return (null, 0);
        }

        private static ushort U16(byte[] b, long o) => (ushort)(b[o] | (b[o + 1] << 8));
        private static uint U32(byte[] b, long o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        private static ulong U64(byte[] b, long o) => U32(b, o) | ((ulong)U32(b, o + 4) << 32);

        private static string CString(byte[] b, long o)
        {
            long end = o;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
        }
    }
}

#if !SLS_NO_MSBUILD
namespace SlsPrune.Build
{
    using Microsoft.Build.Framework;
    using Microsoft.Build.Utilities;

    /// <summary>MSBuild task: weakens a GLIBCXX version requirement in copies of libLibTorchSharp.so when
    /// the system libstdc++ lacks that version. Never touches the NuGet cache (only output folders).</summary>
    public class WeakenGlibcxxRequirement : Task
    {
        [Required] public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();
        [Required] public string Version { get; set; } = "";
        public string[] SystemLibraryCandidates { get; set; } = Array.Empty<string>();

        public override bool Execute()
        {
            string? system = null;
            foreach (var c in SystemLibraryCandidates)
                if (File.Exists(c)) { system = c; break; }
            if (system is null)
            {
                Log.LogMessage(MessageImportance.Low, "No system libstdc++ found; nothing to weaken.");
                return true;
            }
            if (GlibcxxWeakener.Defines(system, Version))
            {
                Log.LogMessage(MessageImportance.Low, $"{system} defines {Version}; nothing to weaken.");
                return true;
            }
            foreach (var lib in Libraries)
            {
                string path = lib.ItemSpec;
                string full = Path.GetFullPath(path);
                if (full.Contains(Path.DirectorySeparatorChar + ".nuget" + Path.DirectorySeparatorChar))
                {
                    Log.LogError($"refusing to patch {full}: it is in the NuGet cache");
                    return false;
                }
                int n = GlibcxxWeakener.PatchFile(path, Version);
                if (n > 0) Log.LogMessage(MessageImportance.High, $"sls: marked {Version} weak in {path} ({system} lacks it)");
            }
            return !Log.HasLoggedErrors;
        }
    }
}
#endif
