// MLP layers and spaces (pylearn2's models/mlp.py and maxout.py, plus dl's LpPooling, LocallyConnected and SVM).
export { Layer, isOutputLayer, type OutputLayer, type Targets, type LayerChannels, type StateArrays } from "./layer.js";
export { Linear, Sigmoid, Tanh, RectifiedLinear, leakyRelu, type LinearOptions, type SigmoidMonitorStyle } from "./linear.js";
export { Softmax, oneHotTargets, misclassRate, type SoftmaxOptions } from "./softmax.js";
export { Maxout, type MaxoutOptions } from "./maxout.js";
export { LpPooling, type LpPoolingOptions } from "./lp-pooling.js";
export { ConvElemwise, ConvRectifiedLinear, convOutputSize, applyNonlinearity, type ConvOptions, type Nonlinearity } from "./conv.js";
export { LocallyConnected, type LocallyConnectedOptions } from "./locally-connected.js";
export { PretrainedLayer, type EncoderModel } from "./pretrained.js";
export { SVM, oneVsRestHinge, type SVMOptions } from "./svm.js";
export { VectorSpace, Conv2DSpace, asMatrix, imageFromRows, rowsFromImage, type Space, type Axis } from "./space.js";
export { maxPool, meanPool, poolGeometry } from "./pooling.js";
export { constrainNorms, norms } from "./constraints.js";
export { initWeights, initKernels, type WeightInit } from "./init.js";
