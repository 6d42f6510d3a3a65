/** @file The benchmark core: timing with an injected clock, contenders, ratios, disagreements and reports. */

export { measure, median, chooseBatch, type Batch, type Clock, type MeasureOptions, type Timing } from './measure.js';
export { setupRun, type RunSetup } from './context.js';
export { backendContender, drainRingbufs, type BenchInput, type Contender, type Prepared } from './contender.js';
export {
  kernelContender, kernelRingDrain, kernelUnavailable, loadIntoKernel, patchMapFds, testRunRepeated, EINTR,
  type KernelBpf, type KernelProgInfo, type KernelProgram, type KernelRingDrain,
} from './kernel.js';
export {
  codeQuality, codeQualityTable, executedPerRun, figure, geomean, kernelImage, kernelRatios, ourArm64, ourX86, verifiedSettings,
  type CodeQualityPlan, type CodeQualityRow, type CodeSize, type Disassembler, type Figure, type KernelImage,
} from './code-quality.js';
export { benchProgram, withRatios, disagreements, disagreementWarnings, type BenchPlan, type BenchProgress, type BenchResult, type Disagreement } from './suite.js';
export { textReport, markdownReport, htmlReport, svgChart, formatNs, formatRatio, groups, type Machine } from './report.js';
