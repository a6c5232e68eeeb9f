namespace SlsPrune.Core.Export.Onnx;

/// <summary>The field numbers and enum values of ONNX's <c>onnx.proto</c> (IR version 8) that the writer uses.</summary>
internal static class OnnxSchema
{
    public const long IrVersion = 8;
    public const long Opset = 17;

    public static class Model
    {
        public const int IrVersion = 1, ProducerName = 2, ProducerVersion = 3, Graph = 7, OpsetImport = 8, MetadataProps = 14;
    }

    public static class OpsetId { public const int Domain = 1, Version = 2; }

    public static class Entry { public const int Key = 1, Value = 2; }

    public static class Graph { public const int Node = 1, Name = 2, Initializer = 5, Input = 11, Output = 12; }

    public static class Node { public const int Input = 1, Output = 2, Name = 3, OpType = 4, Attribute = 5; }

    public static class Attribute
    {
        public const int Name = 1, F = 2, I = 3, S = 4, Ints = 8, Type = 20;
        public const int TypeFloat = 1, TypeInt = 2, TypeString = 3, TypeInts = 7;
    }

    public static class Tensor { public const int Dims = 1, DataType = 2, Name = 8, RawData = 9; }

    public static class DataType { public const int Float = 1, Int64 = 7, Float16 = 10; }

    public static class ValueInfo { public const int Name = 1, Type = 2; }

    public static class Type { public const int TensorType = 1; }

    public static class TensorType { public const int ElemType = 1, Shape = 2; }

    public static class Shape { public const int Dim = 1; }

    public static class Dimension { public const int Value = 1, Param = 2; }
}
