// The Core namespaces, shared by both test projects (linked from each .csproj).
global using SlsPrune.Core;
global using SlsPrune.Core.Batch;
global using SlsPrune.Core.Checkpoints;
global using SlsPrune.Core.Evaluation;
global using SlsPrune.Core.Features;
global using SlsPrune.Core.Fem;
global using SlsPrune.Core.Fem.Tsne;
global using SlsPrune.Core.Indexing;
global using SlsPrune.Core.Models;
global using SlsPrune.Core.Models.Petl;
global using SlsPrune.Core.Models.Petl.Methods;
global using SlsPrune.Core.Models.Vit;
global using SlsPrune.Core.Pruning;
global using SlsPrune.Core.Pruning.Baselines;
global using SlsPrune.Core.Pruning.Sls;
global using SlsPrune.Core.Training;
