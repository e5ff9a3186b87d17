import 'reflect-metadata';
import fc from 'fast-check';

// Property tests run a fixed number of cases so the suite's duration is predictable. A failure
// prints fast-check's seed and path; FC_SEED (and FC_NUM_RUNS) reproduce or widen a run.
const seed = process.env['FC_SEED'] ? Number(process.env['FC_SEED']) : undefined;
fc.configureGlobal({
  numRuns: process.env['FC_NUM_RUNS'] ? Number(process.env['FC_NUM_RUNS']) : 100,
  ...(seed === undefined ? {} : { seed }),
});
