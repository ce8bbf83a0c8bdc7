// Turns the clients' raw rounds into medians, per-round ratios and pass/fail, and prints them as
// Markdown tables (so README can take them as they are).

/** Client CPU ≤ ratio × native, judged on the median of per-round ratios; shimmed builds only. */
export const cpuTargets = { c100: 1.03, c100data: 1.03, stream64m: 1.02 };
/** Client CPU at least this far below the naive wrapper's, both × native in the same rounds. */
export const naiveMarginTargets = { c100: 0.02, c100data: 0 };
/** The soak's targets: retained heap after ≥ 50 000 requests, live resources after close. */
export const soakTargets = { retainedKiB: 1024, requestsAtLeast: 50_000, oursLive: 0 };

const REFERENCES = new Set(['native', 'native-again', 'naive', 'listener-bind']);

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A 95 % bootstrap interval for the median of `values`: how sure the median is, given how much
 * single rounds stray. Seeded, so summarizing the same rounds twice gives the same interval.
 */
function medianInterval(values, resamples = 2000) {
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const medians = [];
  for (let i = 0; i < resamples; i++)
    medians.push(median(values.map(() => values[Math.floor(random() * values.length)])));
  medians.sort((a, b) => a - b);
  return [medians[Math.floor(resamples * 0.025)], medians[Math.ceil(resamples * 0.975) - 1]];
}

/**
 * Per workload and variant: medians, the median per-round ratio to the workload's baseline
 * (native, unless the workload names another), and the verdicts.
 */
export function summarize(bench) {
  const out = {};
  for (const [
    name,
    { label, size, rounds, liveHeap, variants = bench.variants, baseline = 'native' },
  ] of Object.entries(bench.workloads)) {
    const rows = {};
    for (const variant of variants) {
      const runs = rounds.map((round) => round[variant]);
      const cpuRatios = rounds.map((round) => round[variant].cpuMs / round[baseline].cpuMs);
      const row = {
        cpuMs: median(runs.map((run) => run.cpuMs)),
        wallMs: median(runs.map((run) => run.wallMs)),
        cpuRatio: median(cpuRatios),
        cpuRatioCi: medianInterval(cpuRatios),
        wallRatio: median(rounds.map((round) => round[variant].wallMs / round[baseline].wallMs)),
        wrongContext: runs.reduce((sum, run) => sum + run.wrong, 0),
        rounds: runs.length,
      };
      // Main-thread CPU, where the runtime reports it (rounds saved before it existed have none).
      if (runs.every((run) => Number.isFinite(run.threadCpuMs))) {
        const threadRatios = rounds.map((round) => round[variant].threadCpuMs / round[baseline].threadCpuMs);
        Object.assign(row, {
          threadCpuMs: median(runs.map((run) => run.threadCpuMs)),
          threadCpuRatio: median(threadRatios),
          threadCpuRatioCi: medianInterval(threadRatios),
        });
      }
      if (liveHeap) {
        row.liveHeapMiB = median(liveHeap[variant]) / 2 ** 20;
        row.liveHeapRatio = median(liveHeap[variant]) / median(liveHeap.native);
      }
      const target = REFERENCES.has(variant) ? undefined : cpuTargets[name];
      if (target !== undefined) row.target = { max: target, pass: row.cpuRatio <= target };
      const margin = REFERENCES.has(variant) ? undefined : naiveMarginTargets[name];
      if (margin !== undefined && variants.includes('naive')) {
        // Per round, naive's ratio minus ours: both against the same native slices.
        const gaps = rounds.map((round) => (round.naive.cpuMs - round[variant].cpuMs) / round.native.cpuMs);
        const below = median(gaps);
        row.belowNaive = { min: margin, value: below, ci: medianInterval(gaps), pass: below >= margin };
      }
      rows[variant] = row;
    }
    out[name] = { label, size, baseline, rows };
  }
  return out;
}

/** Marginal instructions per unit (request, MiB) of each variant, and as a multiple of native's. */
export function summarizeInstructions(instructions) {
  const out = {};
  for (const [name, { label, unit, sizes, counts, compiling, baseline = 'native' }] of Object.entries(instructions)) {
    const perUnit = ([small, large]) => (large - small) / (sizes[1] - sizes[0]);
    const marginal = Object.fromEntries(Object.entries(counts).map(([variant, pair]) => [variant, perUnit(pair)]));
    const rows = Object.fromEntries(
      Object.entries(counts).map(([variant, [small, large]]) => [
        variant,
        {
          small,
          large,
          perUnit: marginal[variant],
          ratio: marginal[variant] / marginal[baseline],
          // Runs saved before the split was counted have none.
          compilingPerUnit: compiling?.[variant] ? perUnit(compiling[variant]) : undefined,
        },
      ]),
    );
    out[name] = { label, unit, sizes, baseline, rows };
  }
  return out;
}

/** The soak's verdict for one checkpoint list (the shimmed session's). */
export function soakVerdict(checkpoints) {
  const atTarget = checkpoints.find((c) => c.requests >= soakTargets.requestsAtLeast && !c.label.includes('close'));
  const closed = checkpoints.at(-1);
  return {
    retained: atTarget
      ? { requests: atTarget.requests, KiB: atTarget.retainedKiB, pass: atTarget.retainedKiB < soakTargets.retainedKiB }
      : null,
    oursLive: { count: closed.oursLive, pass: closed.oursLive === soakTargets.oursLive },
  };
}

const f = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const pass = (ok) => (ok ? 'pass' : '**MISS**');

/** A workload's label, saying what its ratios are to where that is not native. */
const withBaseline = (label, baseline) => (baseline === 'native' ? label : `${label}; ratios to \`${baseline}\``);

const withCi = (value, [low, high], digits = 3) => `${f(value, digits)} (${f(low, 2)}–${f(high, 2)})`;

/** The workload × variant table of one runtime; main-thread CPU only where the runtime had it. */
export function benchTable(summary) {
  const threads = Object.values(summary).some(({ rows, baseline }) => rows[baseline].threadCpuRatio !== undefined);
  const lines = [
    `| workload | variant | CPU ms | wall ms | CPU × native (95 % CI) |${threads ? ' main-thread CPU × native |' : ''} wall × native | live heap, all open | wrong ctx | target |`,
    `|---|---|--:|--:|--:|${threads ? '--:|' : ''}--:|--:|--:|---|`,
  ];
  for (const { label, rows, baseline } of Object.values(summary)) {
    let first = true;
    for (const [variant, row] of Object.entries(rows)) {
      const thread = !threads
        ? ''
        : ` ${row.threadCpuRatio === undefined ? 'n/a' : withCi(row.threadCpuRatio, row.threadCpuRatioCi)} |`;
      const heap = row.liveHeapMiB === undefined ? '' : `${f(row.liveHeapMiB, 1)} MiB (${f(row.liveHeapRatio, 2)}×)`;
      const targets = [
        row.target && `≤ ${row.target.max.toFixed(2)} ${pass(row.target.pass)}`,
        row.belowNaive &&
          `${f(row.belowNaive.value, 3)} below naive (≥ ${row.belowNaive.min.toFixed(2)}) ${pass(row.belowNaive.pass)}`,
      ];
      lines.push(
        `| ${first ? withBaseline(label, baseline) : ''} | ${variant} | ${f(row.cpuMs, 0)} | ${f(row.wallMs, 0)} | ${withCi(row.cpuRatio, row.cpuRatioCi)} |${thread} ${f(row.wallRatio, 3)} | ${heap} | ${row.wrongContext} | ${targets.filter(Boolean).join('; ')} |`,
      );
      first = false;
    }
  }
  return lines.join('\n');
}

/** The two 1 KiB workloads the cost targets judge, as the README and the summary tables name them. */
const judged = [
  ['c100', 'five listeners'],
  ['c100data', '`data` and `end` only'],
];
/** Instructions per request, and (where they cannot be counted) client CPU: at most this × native, and below naive. */
export const costTarget = 1.03;

/** A ratio's verdict against the cost target: by how much it is over 1.03× native, and over naive's. */
function costVerdict(ratio, naiveRatio) {
  const over = ratio - costTarget;
  const aboveNaive = naiveRatio === undefined ? undefined : ratio - naiveRatio;
  return {
    pass: over <= 0 && !(aboveNaive >= 0),
    over: over > 0 ? over : undefined,
    aboveNaive: aboveNaive >= 0 ? aboveNaive : undefined,
  };
}

const missText = ({ over, aboveNaive }) =>
  [
    over !== undefined && `${f(over, 3)} over ${costTarget}`,
    aboveNaive !== undefined && `${f(aboveNaive, 3)} above naive`,
  ]
    .filter(Boolean)
    .join(', ');

/** `node24` and `24.21.0` → `Node 24.21`; `bun` and `1.4.5` → `Bun 1.4.5`. */
const runtimeName = (id, version = '') =>
  id.startsWith('node') ? `Node ${version.split('.').slice(0, 2).join('.')}` : `Bun ${version}`;

/** The two workloads as the README's line names them, in the fewest bytes. */
const shortNames = { c100: '5 listeners', c100data: '`data`+`end`' };

/**
 * The README's one line from a `--verdict --instructions` run, × native at 100 concurrent 1 KiB
 * requests: the package's instructions per request (the naive wrapper's in brackets) on each Node
 * for both workloads, Bun's client CPU with its 95 % interval (timed in the same run), and a
 * grpc-js client under `register`. A missed target is in bold, with how far it is over 1.03.
 */
export function instructionsSummaryLine(runtimes) {
  const counted = Object.entries(runtimes).filter(([, entry]) => entry.instructions);
  const timed = Object.entries(runtimes).filter(([, entry]) => entry.summary);
  const summaries = counted.map(([, entry]) => summarizeInstructions(entry.instructions));
  const majors = counted.map(([, entry]) => entry.version.split('.')[0]);
  const sentences = [];
  for (const [workload] of judged) {
    const rows = summaries.map((summary) => summary[workload]?.rows);
    if (!rows.some((row) => row?.shimmed)) continue;
    const ours = rows.map((row) => (row?.shimmed ? costCell(row.shimmed.ratio, row.naive?.ratio) : 'n/a'));
    sentences.push(
      `${shortNames[workload]} ${ours.join('/')} (${rows.map((row) => f(row?.naive?.ratio, 2)).join('/')})`,
    );
  }
  const lines = [`Instructions, Node ${majors.join('/')}: ${sentences.join('; ')}`];
  for (const [id, entry] of timed) {
    const cells = judged
      .filter(([workload]) => entry.summary[workload]?.rows.shimmed)
      .map(([workload]) => {
        const { shimmed, naive } = entry.summary[workload].rows;
        const [low, high] = shimmed.cpuRatioCi;
        return `${shortNames[workload]} ${costCell(shimmed.cpuRatio, naive?.cpuRatio)} [${f(low, 2)}–${f(high, 2)}] (${f(naive?.cpuRatio, 2)})`;
      });
    lines.push(`${runtimeName(id, entry.version)} CPU: ${cells.join('; ')}`);
  }
  if (summaries.some((summary) => summary.grpc100?.rows.register))
    lines.push(
      `grpc-js under \`register\`: ${summaries.map((summary) => f(summary.grpc100?.rows.register?.ratio, 2)).join('/')}`,
    );
  return `${lines.join('. ')}.`;
}

/** A ratio as the README line gives it: plain where it meets the cost target, else bold, with how far it is over 1.03. */
function costCell(ratio, naiveRatio) {
  const verdict = costVerdict(ratio, naiveRatio);
  if (verdict.pass) return f(ratio, 2);
  return `**${f(ratio, 2)}${verdict.over === undefined ? '' : ` +${f(verdict.over, 3)}`}**`;
}

/**
 * The cost targets of a runtime that an instruction-count run times instead of counting (Bun):
 * client CPU × native for the package and the naive wrapper on each 1 KiB workload.
 */
export function timedSummaryTable(runtimes) {
  const timed = Object.entries(runtimes).filter(([, entry]) => entry.summary);
  const lines = [
    `| client CPU × native (95 % interval) | ${timed.map(([name, entry]) => `${name} ${entry.version}`).join(' | ')} |`,
    `|---|${timed.map(() => '--:').join('|')}|`,
  ];
  for (const [workload, what] of judged) {
    const rows = timed.map(([, entry]) => entry.summary[workload]?.rows);
    if (!rows.some((row) => row?.shimmed)) continue;
    const shimmed = rows.map((row) => {
      if (!row?.shimmed) return 'not run';
      const verdict = costVerdict(row.shimmed.cpuRatio, row.naive?.cpuRatio);
      const cell = withCi(row.shimmed.cpuRatio, row.shimmed.cpuRatioCi);
      return `${cell} ${verdict.pass ? 'pass' : `**MISS** (${missText(verdict)})`}`;
    });
    const naive = rows.map((row) => (row?.naive ? withCi(row.naive.cpuRatio, row.naive.cpuRatioCi) : 'not run'));
    lines.push(
      `| 100 concurrent 1 KiB requests, ${what}: this package, ≤ ${costTarget} and below naive | ${shimmed.join(' | ')} |`,
      `| 100 concurrent 1 KiB requests, ${what}: a naive per-stream wrapper (reference) | ${naive.join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The report's summary table of an instruction-count run: for each variant it quotes, a row of marginal
 * instructions per request as a multiple of the workload's baseline, a column per runtime.
 */
export function instructionsSummaryTable(runtimes) {
  // [workload, variant, what, target (the most × native that passes), if it has one]
  const quoted = [
    [
      'c100',
      'shimmed',
      `100 concurrent 1 KiB requests, five listeners: this package, ≤ ${costTarget} and below naive`,
      true,
    ],
    ['c100', 'naive', '100 concurrent 1 KiB requests, five listeners: a naive per-stream wrapper (reference)'],
    [
      'c100data',
      'shimmed',
      `100 concurrent 1 KiB requests, \`data\` and \`end\` only: this package, ≤ ${costTarget} and below naive`,
      true,
    ],
    [
      'c100data',
      'naive',
      '100 concurrent 1 KiB requests, `data` and `end` only: a naive per-stream wrapper (reference)',
    ],
    ['grpc100', 'register', '100 concurrent gRPC unary calls (grpc-js): `register`, ≤ 1.04', 1.04],
    ['grpc100', 'http2 only', '100 concurrent gRPC unary calls (grpc-js): `patchHttp2()` alone (decomposition)'],
    ['c100libs', 'register+libs', 'grpc-js, undici and http2-wrapper loaded but unused (× `register` alone)'],
  ];
  const measured = Object.entries(runtimes).filter(([, entry]) => entry.instructions);
  const lines = [
    `| instructions per request, × native | ${measured.map(([name, entry]) => `${name} ${entry.version}`).join(' | ')} |`,
    `|---|${measured.map(() => '--:').join('|')}|`,
  ];
  const summaries = measured.map(([, entry]) => summarizeInstructions(entry.instructions));
  for (const [workload, variant, what, target] of quoted) {
    if (!summaries.some((summary) => summary[workload]?.rows[variant])) continue;
    lines.push(
      `| ${what} | ${summaries
        .map((summary) => {
          const row = summary[workload]?.rows[variant];
          if (!row) return 'not run';
          const verdict = verdictCell(row, summary[workload].rows.naive, target);
          return `${f(row.ratio, 3)} (${Math.round(row.perUnit / 100) / 10} k)${verdict}`;
        })
        .join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** ' pass' or ' **MISS** (by how much)': `target` true is the cost target (≤ 1.03 and below naive), a number a plain ceiling. */
function verdictCell(row, naive, target) {
  if (target === undefined) return '';
  if (target === true) {
    const verdict = costVerdict(row.ratio, naive?.ratio);
    return verdict.pass ? ' pass' : ` **MISS** (${missText(verdict)})`;
  }
  return row.ratio <= target ? ' pass' : ` **MISS** (${f(row.ratio - target, 3)} over ${target})`;
}

/** The instruction counts of one runtime: per workload and variant, the marginal cost. */
export function instructionsTable(summary) {
  // The compiling split is counted since issue 29; a run saved before it has no such columns.
  const split = Object.values(summary).some(({ rows }) => Object.values(rows).some((row) => row.compilingPerUnit));
  const lines = [
    `| workload | variant | instructions, smaller size | larger size | marginal |${split ? ' of which compiling |' : ''} × native |${split ? ' without compiling, × native |' : ''}`,
    `|---|---|--:|--:|--:|--:|${split ? '--:|--:|' : ''}`,
  ];
  const m = (value) => (Number.isFinite(value) ? `${(value / 1e6).toFixed(1)} M` : 'n/a');
  const k = (value) => (Number.isFinite(value) ? `${Math.round(value / 100) / 10} k` : 'n/a');
  for (const { label, unit, sizes, rows, baseline } of Object.values(summary)) {
    let first = true;
    const base = rows[baseline];
    for (const [variant, row] of Object.entries(rows)) {
      const executed = (row.perUnit - row.compilingPerUnit) / (base.perUnit - base.compilingPerUnit);
      const cells = [
        first ? withBaseline(`${label} (${sizes.join(' and ')} ${unit}s)`, baseline) : '',
        variant,
        m(row.small),
        m(row.large),
        `${k(row.perUnit)}/${unit}`,
        ...(split ? [k(row.compilingPerUnit)] : []),
        f(row.ratio, 3),
        ...(split ? [f(executed, 3)] : []),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
      first = false;
    }
  }
  return lines.join('\n');
}

/** The soak table of one runtime: both sessions' checkpoints. */
export function soakTable(soak) {
  const lines = [
    "| session | checkpoint | retained heap KiB | live PendingRequest: ours | Node's (before GC) | our scopes reachable |",
    '|---|---|--:|--:|--:|--:|',
  ];
  for (const [name, checkpoints] of Object.entries(soak.soak)) {
    for (const c of checkpoints) {
      const node = c.nodeLive === null ? 'n/a' : `${c.nodeLive} (${c.nodeLiveBeforeGc})`;
      lines.push(
        `| ${name} | ${c.label} | ${f(c.retainedKiB, 1)} | ${name === 'native' ? '–' : c.oursLive} | ${node} | ${c.scopesReachable ?? '–'} |`,
      );
    }
  }
  const verdict = soakVerdict(soak.soak.shimmed);
  const retained = verdict.retained
    ? `retained heap after ${verdict.retained.requests} requests ${f(verdict.retained.KiB, 1)} KiB < ${soakTargets.retainedKiB} KiB: ${pass(verdict.retained.pass)}`
    : 'retained heap: fewer requests than the target needs (--quick?)';
  lines.push(
    '',
    `Soak targets (shimmed): ${retained}; our live PendingRequest after close = ${verdict.oursLive.count}: ${pass(verdict.oursLive.pass)}.`,
  );
  if (!soak.asyncHooks)
    lines.push(
      'async_hooks does not call its hooks on this runtime: "ours" counts bound scopes minus emitDestroy() calls; Node\'s own are not visible.',
    );
  return lines.join('\n');
}

/** One line per target, one column per runtime: the verdicts the README leads with. */
export function targetsTable(runtimes) {
  const measured = Object.entries(runtimes).filter(([, entry]) => entry.summary);
  const lines = [
    `| target (shimmed) | ${measured.map(([name, entry]) => `${name} ${entry.version}`).join(' | ')} |`,
    `|---|${measured.map(() => '---').join('|')}|`,
  ];
  for (const [workload, max] of Object.entries(cpuTargets)) {
    const cells = measured.map(([, { summary }]) => {
      const row = summary[workload]?.rows.shimmed;
      return row ? `${withCi(row.cpuRatio, row.cpuRatioCi)} ${pass(row.target.pass)}` : 'not run';
    });
    const label = measured.find(([, { summary }]) => summary[workload])?.[1].summary[workload].label ?? workload;
    lines.push(`| client CPU, ${label}: ≤ ${max.toFixed(2)}× native | ${cells.join(' | ')} |`);
  }
  for (const [workload, min] of Object.entries(naiveMarginTargets)) {
    const cells = measured.map(([, { summary }]) => {
      const below = summary[workload]?.rows.shimmed?.belowNaive;
      return below ? `${withCi(below.value, below.ci)} ${pass(below.pass)}` : 'not run';
    });
    const label = measured.find(([, { summary }]) => summary[workload])?.[1].summary[workload].label ?? workload;
    lines.push(
      `| client CPU, ${label}: ≥ ${min.toFixed(2)} below naive's, both × native in the same rounds | ${cells.join(' | ')} |`,
    );
  }
  // Reported, not judged: what register costs a grpc-js client, and what the client libraries
  // cost by being loaded (register alone is the baseline there).
  for (const [workload, variant, what] of [
    ['grpc100', 'register', 'client CPU × native'],
    ['c100libs', 'register+libs', 'client CPU × register alone'],
  ]) {
    const label = measured.find(([, { summary }]) => summary[workload])?.[1].summary[workload].label;
    if (!label) continue;
    const cells = measured.map(([, { summary }]) => {
      const row = summary[workload]?.rows[variant];
      return row ? withCi(row.cpuRatio, row.cpuRatioCi) : 'not run';
    });
    lines.push(`| ${label}: ${what} (reported) | ${cells.join(' | ')} |`);
  }
  const soaks = measured.map(([, entry]) => (entry.soak ? soakVerdict(entry.soak.soak.shimmed) : null));
  lines.push(
    `| retained heap after ${soakTargets.requestsAtLeast} requests < ${soakTargets.retainedKiB} KiB | ${soaks
      .map((v) => (v?.retained ? `${f(v.retained.KiB, 1)} KiB ${pass(v.retained.pass)}` : 'not run'))
      .join(' | ')} |`,
  );
  lines.push(
    `| live \`PendingRequest\` after every stream closed: 0 | ${soaks
      .map((v) => (v ? `${v.oursLive.count} ${pass(v.oursLive.pass)}` : 'not run'))
      .join(' | ')} |`,
  );
  return lines.join('\n');
}
