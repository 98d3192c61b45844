/** Figures of one system in one run of W1 (or W5): latencies in ms, memory in MB. */
export interface SystemFigures {
  singleP50: number;
  singleP99: number;
  perSecond: number;
  loadP50: number;
  loadP99: number;
  /** Peak memory by what was measured, e.g. `{ 'RSS platform': 150, 'RSS worker': 189 }`. */
  memoryMb: Record<string, number>;
  /** A remark printed after the figures (starts sent again after a 503, a peer's shortened phase). */
  note?: string;
}

/** How many executions each phase of a run starts (shared/PERFORMANCE.md: 20, 200, 200 and 2,000). */
export interface PhaseCounts {
  /** Sequential warm-up executions. */
  warmup: number;
  /** The untimed warm-up burst, started at once. */
  burst: number;
  /** Executions one at a time, timed start → result. */
  single: number;
  /** Executions started at once for executions/s. */
  throughput: number;
}

/** The systems a round can measure, and how each is named in the printout. */
export const SYSTEM_LABELS = {
  separate: 'this project, separate processes',
  embedded: 'this project, embedded',
  local: 'this project, W1-local (separate processes)',
  w5: 'this project, W5 (PostgreSQL, 2 nodes)',
  restate: 'Restate',
  bullmq: 'BullMQ chain of 3',
  dbos: 'DBOS',
} as const;

/** One of {@link SYSTEM_LABELS}. */
export type SystemId = keyof typeof SYSTEM_LABELS;

/** The figures of one round, by system; a system that failed in the round is absent. */
export type RoundFigures = Partial<Record<SystemId, SystemFigures>>;

/** The `p`th percentile of ascending `sorted` (nearest rank, as the peers' stats.mjs computes it). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The median of `values` (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The median of each figure over several runs of one system. */
export function medianFigures(all: SystemFigures[]): SystemFigures {
  const of = (pick: (figures: SystemFigures) => number): number => median(all.map(pick));
  const memoryMb = Object.fromEntries(Object.keys(all[0]!.memoryMb).map((key) => [key, of((figures) => figures.memoryMb[key] ?? 0)]));
  return {
    singleP50: of((figures) => figures.singleP50),
    singleP99: of((figures) => figures.singleP99),
    perSecond: of((figures) => figures.perSecond),
    loadP50: of((figures) => figures.loadP50),
    loadP99: of((figures) => figures.loadP99),
    memoryMb,
  };
}

/** One line of figures: single p50/p99, executions/s with p50/p99 under load, peak memory. */
export function figuresLine(label: string, figures: SystemFigures, throughput: number): string {
  const memory = Object.entries(figures.memoryMb).map(([what, mb]) => `${what} ${mb.toFixed(0)} MB`);
  return (
    `${label}: single p50 ${figures.singleP50.toFixed(2)} ms, p99 ${figures.singleP99.toFixed(2)} ms | ` +
    `${throughput} executions: ${figures.perSecond.toFixed(0)}/s, p50 ${figures.loadP50.toFixed(1)} ms, p99 ${figures.loadP99.toFixed(1)} ms | ` +
    `peak memory: ${memory.join(', ')}${figures.note ? ` (${figures.note})` : ''}`
  );
}

/** A goal of the performance issue: a ratio of our figure to a peer's, and the bound it must meet. */
export interface Goal {
  ours: SystemId;
  peer: SystemId;
  metric: 'throughput' | 'single p50';
  /** The ratio must be at least this (throughput) or at most this (single p50). */
  bound: number;
}

/** Our figure over the peer's for `metric`, or undefined when either system has no figures. */
export function ratioOf(round: RoundFigures, ours: SystemId, peer: SystemId, metric: Goal['metric']): number | undefined {
  const a = round[ours];
  const b = round[peer];
  if (!a || !b) return undefined;
  return metric === 'throughput' ? a.perSecond / b.perSecond : a.singleP50 / b.singleP50;
}

/** The goals for the systems measured: executions/s ≥ 2× Restate and ≥ BullMQ, single p50 ≤ 0.5× Restate and ≤ BullMQ; W5 ≥ 2× DBOS. */
export function goalsFor(ours: SystemId[], peers: SystemId[]): Goal[] {
  const all: Omit<Goal, 'ours'>[] = [
    { peer: 'restate', metric: 'throughput', bound: 2 },
    { peer: 'restate', metric: 'single p50', bound: 0.5 },
    { peer: 'bullmq', metric: 'throughput', bound: 1 },
    { peer: 'bullmq', metric: 'single p50', bound: 1 },
    { peer: 'dbos', metric: 'throughput', bound: 2 },
  ];
  // W1-local is reported beside the others; the goals hold for ordinary activities.
  return ours.filter((system) => system !== 'local').flatMap((system) => all.filter((goal) => peers.includes(goal.peer)).map((goal) => ({ ours: system, ...goal })));
}

/** Prints each measured system's figures of one round, then our ratios to each peer. */
export function printRound(round: RoundFigures, ours: SystemId[], peers: SystemId[], throughput: number): void {
  for (const system of [...ours, ...peers]) {
    const figures = round[system];
    if (figures) console.log(`  ${figuresLine(SYSTEM_LABELS[system], figures, throughput)}`);
  }
  for (const system of ours) {
    const parts = peers.flatMap((peer) => {
      const speed = ratioOf(round, system, peer, 'throughput');
      const p50 = ratioOf(round, system, peer, 'single p50');
      return speed === undefined || p50 === undefined ? [] : [`against ${SYSTEM_LABELS[peer]}: throughput ${speed.toFixed(2)}×, single p50 ${p50.toFixed(2)}×`];
    });
    if (parts.length) console.log(`  ratios of ${SYSTEM_LABELS[system]}: ${parts.join('; ')}`);
  }
}

/** Prints the median of each ratio over the rounds, then whether each goal is met by that median. */
export function printSummary(rounds: RoundFigures[], ours: SystemId[], peers: SystemId[], throughput: number): void {
  console.log(`medians over ${rounds.length} round(s):`);
  for (const system of [...ours, ...peers]) {
    const all = rounds.flatMap((round) => (round[system] ? [round[system]] : []));
    if (all.length) console.log(`  ${figuresLine(SYSTEM_LABELS[system], medianFigures(all), throughput)}`);
  }
  for (const goal of goalsFor(ours, peers)) {
    const ratios = rounds.flatMap((round) => {
      const ratio = ratioOf(round, goal.ours, goal.peer, goal.metric);
      return ratio === undefined ? [] : [ratio];
    });
    const wanted = goal.metric === 'throughput' ? `executions/s >= ${goal.bound}× ${SYSTEM_LABELS[goal.peer]}` : `single p50 <= ${goal.bound}× ${SYSTEM_LABELS[goal.peer]}`;
    if (!ratios.length) {
      console.log(`  goal, ${SYSTEM_LABELS[goal.ours]}: ${wanted}: no figures`);
      continue;
    }
    const ratio = median(ratios);
    const met = goal.metric === 'throughput' ? ratio >= goal.bound : ratio <= goal.bound;
    console.log(`  goal, ${SYSTEM_LABELS[goal.ours]}: ${wanted}: median ratio ${ratio.toFixed(2)}× over ${ratios.length} round(s), ${met ? 'met' : 'not met'}`);
  }
}
