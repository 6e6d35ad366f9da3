// The data library: datasets, readers, preprocessing, dataset files and downloads.
export { DenseDesignMatrix, type DatasetView, type FittedParams, type PreprocessingRecord, type DenseDesignMatrixInit } from "./dataset.js";
export { saveDataset, loadDataset, DATASET_FORMAT } from "./dataset-file.js";
export { resolveDataDir, resolveDataDirWithSource, describeDataDirSource, missingDatasetError, type DataDirOptions, type ResolvedDataDir } from "./data-dir.js";
export { loadCifar10, readCifar10Records, cifar10Folder, CIFAR10_LABEL_NAMES, type Cifar10Options } from "./cifar10.js";
export { loadMnist, mnistFolder, MNIST_FILES, type MnistOptions } from "./mnist.js";
export { loadDigits, readDigitsCsv, bundledDigitsPath, type DigitsOptions } from "./digits.js";
export { readIdx, parseIdx, type IdxArray } from "./idx.js";
export { readNpy, parseNpy, type NpyArray } from "./npy.js";
export { buildDesignMatrix, type DesignMatrixOptions } from "./design-matrix.js";
export { TransformerDataset, isEncoder, type Encoder } from "./transformer-dataset.js";
export { sineWave, type SineWaveOptions } from "./sine-wave.js";
export { fetchCifar10, CIFAR10_URL, type FetchCifar10Options, type FetchResult } from "./fetch-cifar10.js";
export { fetchMnist, MNIST_BASE_URL, type FetchMnistOptions, type FetchMnistResult } from "./fetch-mnist.js";
export { CIFAR10_SHA256, MNIST_GZ_SHA256, MNIST_RAW_MD5, hashFile } from "./checksums.js";
export { makePresetDataset, datasetFromBuiltConfig, PRESETS, type MadeDataset, type PresetOptions, type StageTiming } from "./make-dataset.js";
export { datasetInfo, type DatasetInfo } from "./dataset-info.js";
export * from "./preprocessing/index.js";
