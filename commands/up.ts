import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { MqxError, UsageError } from '../src/errors.js';
import type { Lab } from '../src/lab/lab-file.js';

interface UpArgs {
  file?: string;
  example?: string;
  examples: boolean;
  print: boolean;
  check: boolean;
  force: boolean;
  for?: number;
  portBase?: number;
}

/** Time the last messages of a bounded run get to arrive after the publishers stop. */
const DRAIN_MS = 1500;

async function readLab(argv: UpArgs): Promise<Lab> {
  const { EXAMPLES } = await import('../src/lab/examples.js');
  const { loadLabFile, parseLab } = await import('../src/lab/lab-file.js');
  if (argv.example !== undefined) {
    const example = EXAMPLES[argv.example];
    if (example === undefined)
      throw new UsageError(`no example '${argv.example}' (examples: ${Object.keys(EXAMPLES).join(', ')})`);
    return parseLab(example.lab, `example ${argv.example}`, process.cwd());
  }
  if (argv.file === undefined) throw new UsageError('give a lab FILE or --example NAME (see --examples)');
  return loadLabFile(argv.file);
}

function until(seconds: number | undefined): Promise<'interrupted' | 'elapsed'> {
  return new Promise((resolve) => {
    const timer = seconds === undefined ? undefined : setTimeout(() => resolve('elapsed'), seconds * 1000);
    const stop = () => {
      clearTimeout(timer);
      resolve('interrupted');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

const command: CommandModule<object, UpArgs> = {
  command: 'up [file]',
  describe: 'Start a lab: brokers, bridges, publishers and subscribers from one file',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', describe: 'Lab file (yaml, json or js)' })
      .options({
        example: { type: 'string', describe: 'Run a built-in lab (see --examples)' },
        examples: { type: 'boolean', default: false, describe: 'List the built-in labs' },
        print: { type: 'boolean', default: false, describe: 'With --example: print it as a lab file' },
        check: {
          type: 'boolean',
          default: false,
          describe: 'Check the topology (cycles, duplicates...) and exit',
        },
        force: { type: 'boolean', default: false, describe: 'Start even when the check has findings' },
        for: { type: 'number', describe: 'Run SECONDS, then exit non-zero if an expect: was not met' },
        'port-base': { type: 'number', describe: 'Shift every port by N - 1883 (1883..1886 become N..N+3)' },
      })
      .example('$0 up --example course-challenge', "the course's challenge: four brokers, three bridges")
      .example('$0 up --check lab.yaml', 'report bridge loops and duplicate paths') as Argv<UpArgs>,
  handler: async (argv: ArgumentsCamelCase<UpArgs>) => {
    if (argv.examples) {
      const { EXAMPLES } = await import('../src/lab/examples.js');
      for (const [name, e] of Object.entries(EXAMPLES))
        process.stdout.write(`${name.padEnd(18)}${e.describe}\n`);
      return;
    }
    if (argv.for !== undefined && !(argv.for > 0))
      throw new UsageError(`--for expects seconds > 0, got ${argv.for}`);
    const base = argv.portBase;
    if (base !== undefined && !(Number.isInteger(base) && base >= 1 && base <= 65535))
      throw new UsageError(`--port-base expects 1..65535, got ${base}`);
    if (argv.print) {
      const { EXAMPLES } = await import('../src/lab/examples.js');
      const example = argv.example === undefined ? undefined : EXAMPLES[argv.example];
      if (example === undefined) throw new UsageError('--print needs --example NAME (see --examples)');
      process.stdout.write(`${JSON.stringify(example.lab, null, 2)}\n`);
      return;
    }
    const lab = await readLab(argv);
    const { planLab } = await import('../src/lab/plan.js');
    const { checkTopology } = await import('../src/lab/graph.js');
    const plan = await planLab(lab, { portBase: base, pathPrefix: process.env.MQX_PATH_PREFIX });
    const findings = checkTopology(plan.topology);
    for (const f of findings) process.stdout.write(`${f.message}\n`);
    if (argv.check) {
      if (findings.length > 0) throw new MqxError(`${lab.source}: ${findings.length} finding(s)`, 1);
      process.stdout.write(
        `${lab.source}: ${plan.brokers.length} brokers, ${plan.bridges.length} bridges: no findings\n`,
      );
      return;
    }
    if (findings.length > 0 && !argv.force)
      throw new MqxError(
        `${lab.source}: not started: ${findings.length} finding(s) above; --force starts it anyway`,
        1,
      );
    const { startLab } = await import('../src/lab/runner.js');
    const running = await startLab(plan);
    const ports = plan.brokers.map((b) => `${b.name}:${b.port}`).join(' ');
    const tty = process.stdout.isTTY === true;
    let redraw: NodeJS.Timeout | undefined;
    if (tty) {
      const { LiveView } = await import('../src/lab/live-view.js');
      const view = new LiveView(running, process.stdout.columns || 100);
      const draw = () => process.stdout.write(`\x1b[H\x1b[2J${view.frame().join('\n')}\n`);
      draw();
      redraw = setInterval(draw, 1000);
    } else {
      process.stdout.write(`lab up: ${ports}; bridges connected: ${plan.bridges.length}\n`);
      for (const s of running.subscribers)
        s.client.on('message', (p) =>
          process.stdout.write(`${s.spec.name} ${p.topic} ${p.payload.toString()}\n`),
        );
    }
    const how = await until(argv.for);
    clearInterval(redraw);
    if (how === 'elapsed') {
      running.stopPublishing();
      await new Promise((r) => setTimeout(r, DRAIN_MS));
    }
    const { labReport } = await import('../src/lab/report.js');
    const report = labReport(running);
    await running.stop();
    process.stdout.write(`${report.lines.join('\n')}\nlab stopped\n`);
    if (how === 'elapsed' && report.failures.length > 0)
      throw new MqxError(`lab: ${report.failures.join('; ')}`, 1);
  },
};

export default command;
