import { fuzz } from './fuzz.js';

/*
 * `npm run fuzz [-- CASES [SEED]]`: a long decoder fuzzing run with a summary; exits 1 on any
 * failure, printing the first few with their input so they can be replayed.
 */

const cases = Number(process.argv[2] ?? 1_000_000);
const seed = process.argv[3] === undefined ? Date.now() >>> 0 : Number(process.argv[3]);
const report = fuzz({ cases, seed });
const perSecond = Math.round(report.cases / (report.elapsedMs / 1000));

console.log(`seed                ${report.seed}`);
console.log(`cases               ${report.cases.toLocaleString('en')} (${perSecond.toLocaleString('en')}/s)`);
console.log(`bytes decoded       ${report.bytes.toLocaleString('en')}`);
console.log(`packets delivered   ${report.packetsDelivered.toLocaleString('en')}`);
console.log(`clean streams       ${report.cleanStreams.toLocaleString('en')}`);
console.log(`ProtocolErrors      ${report.protocolErrors.toLocaleString('en')}`);
console.log(`max buffered bytes  ${report.maxBufferedBytes.toLocaleString('en')}`);
console.log(`slowest case        ${report.maxCaseMs.toFixed(2)} ms`);
console.log(`elapsed             ${(report.elapsedMs / 1000).toFixed(1)} s`);
console.log(`failures            ${report.failures.length}`);
for (const failure of report.failures.slice(0, 10)) {
  console.log(
    `  case ${failure.case} (level ${failure.version}): ${failure.problem}\n    input ${failure.input}`,
  );
}
process.exitCode = report.failures.length === 0 ? 0 : 1;
