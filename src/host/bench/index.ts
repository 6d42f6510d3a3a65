/** @file The benchmark core: timing with an injected clock, contenders, ratios, disagreements and reports. */

export { measure, median, chooseBatch, type Batch, type Clock, type MeasureOptions, type Timing } from './measure.js';
export { setupRun, type RunSetup } from './context.js';
export { backendContender, type BenchInput, type Contender, type Prepared } from './contender.js';
export { kernelContender, patchMapFds, type KernelBpf } from './kernel.js';
export { benchProgram, withRatios, disagreements, disagreementWarnings, type BenchPlan, type BenchProgress, type BenchResult, type Disagreement } from './suite.js';
export { textReport, markdownReport, htmlReport, svgChart, formatNs, formatRatio, groups, type Machine } from './report.js';
