using TorchSharp;
using static TorchSharp.torch;

namespace SlsPrune.Core.Pruning.Baselines;

/// <summary>
/// A linear probe per layer: scikit-learn's <c>RidgeClassifier(alpha)</c> (targets +-1 per class, intercept
/// by centring, closed-form ridge in float64, prediction by the largest decision value) fitted on one split's
/// cls features and scored as top-1 accuracy on another's. Accuracy usually rises with depth; the layer where
/// it stops rising is where later blocks add little for this task.
/// </summary>
public static class RidgeProbe
{
    /// <summary>Coefficients [classes, p] and intercepts [classes] (for two classes, one row as scikit-learn).</summary>
    public static (Tensor Coef, Tensor Intercept) Fit(Tensor x, long[] labels, int classes, double alpha = 1.0)
    {
        using var scope = torch.NewDisposeScope();
        var a = x.to(float64).cpu();
        long n = a.shape[0], p = a.shape[1];
        var y = torch.full(n, classes, -1.0, dtype: float64);
        for (int i = 0; i < n; i++) y[i, labels[i]] = 1.0;
        if (classes == 2) y = y[.., 1..2];
        var xm = a.mean([0], keepdim: true);
        var ym = y.mean([0], keepdim: true);
        var xc = a - xm;
        var yc = y - ym;
        var gram = xc.t().matmul(xc) + torch.eye(p, dtype: float64) * alpha;
        var coef = torch.linalg.solve(gram, xc.t().matmul(yc)).t();         // [targets, p]
        var intercept = ym.squeeze(0) - coef.matmul(xm.squeeze(0));
        return (coef.MoveToOuterDisposeScope(), intercept.MoveToOuterDisposeScope());
    }

    public static long[] Predict(Tensor coef, Tensor intercept, Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var scores = x.to(float64).cpu().matmul(coef.t()) + intercept;
        var pred = coef.shape[0] == 1 ? scores[.., 0].gt(0).to(int64) : scores.argmax(1);
        return pred.data<long>().ToArray();
    }

    /// <summary>Accuracy on (<paramref name="testX"/>, <paramref name="testY"/>) of a probe fitted on the train pair.</summary>
    public static double Accuracy(Tensor trainX, long[] trainY, Tensor testX, long[] testY, int classes, double alpha = 1.0)
    {
        var (coef, intercept) = Fit(trainX, trainY, classes, alpha);
        using (coef)
        using (intercept)
        {
            var pred = Predict(coef, intercept, testX);
            return pred.Zip(testY).Count(p => p.First == p.Second) / (double)testY.Length;
        }
    }
}
