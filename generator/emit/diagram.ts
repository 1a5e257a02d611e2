// Step-level pictures of a pipeline for code review: a Mermaid flowchart (GitHub renders it in
// Markdown), the same graph in Graphviz DOT, and `<pipeline>.md` with the flowchart, a table of the
// steps and the pipeline's use of Step Functions' limits. Pure: the same pipeline gives the same bytes.
import { formatDuration } from '../load/durations.ts';
import type { Pipeline, StatementStep, Step } from '../load/model.ts';
import { limitLevel, LIMITS, type LimitUsage } from './limits.ts';
import { formatBytes, percent, thousands } from './numbers.ts';
import { largestStateSize, type StepStateSize } from './state-size.ts';
import { textTemplate } from './templates.ts';

export const DIAGRAM_FILE_SUFFIX = '.md';
export type DiagramFormat = 'mermaid' | 'dot' | 'markdown';
export const DIAGRAM_FORMATS: readonly DiagramFormat[] = ['mermaid', 'dot', 'markdown'];

/** Mermaid's default limits (GitHub applies them): beyond these a diagram is not drawn. */
export const MERMAID_LIMITS = { textSize: 50_000, edges: 500 } as const;

const SQL_PREVIEW_LENGTH = 60;

/** The first line of a step's SQL that is not blank, shortened for a label or a table cell. */
export function sqlFirstLine(step: StatementStep, maxLength = SQL_PREVIEW_LENGTH): string {
  const sqls = step.statement.kind === 'batch' ? step.statement.sqls : [step.statement.sql];
  const line =
    (sqls[0] ?? '')
      .split('\n')
      .map((text) => text.trim())
      .find((text) => text !== '') ?? '';
  const short = line.length > maxLength ? `${line.slice(0, maxLength - 1).trimEnd()}…` : line;
  return sqls.length > 1 ? `${short} (+${sqls.length - 1} more)` : short;
}

/** How the step waits: `callback`, `poll`, or `long poll 30s` (poll mode with `poll.longPoll`). */
function modeLabel(step: StatementStep): string {
  const { longPollSeconds } = step.poll;
  return step.mode === 'poll' && longPollSeconds !== undefined
    ? `long poll ${formatDuration(longPollSeconds)}`
    : step.mode;
}

function tags(step: StatementStep): string[] {
  return [modeLabel(step), ...(step.singleton ? ['singleton'] : []), ...(step.results ? ['results'] : [])];
}

// ---------------------------------------------------------------------------------------------
// A neutral graph, drawn by both renderers

type Node =
  | { readonly kind: 'terminal'; readonly id: string; readonly label: string }
  | { readonly kind: 'statement'; readonly id: string; readonly step: StatementStep }
  | { readonly kind: 'fork' | 'join'; readonly id: string };
type Edge = { readonly from: string; readonly to: string; readonly label?: string };
type Cluster = {
  readonly id: string;
  readonly label: string;
  readonly nodes: readonly string[];
  readonly clusters: readonly Cluster[];
};
type Graph = {
  readonly nodes: readonly Node[];
  readonly edges: readonly Edge[];
  readonly clusters: readonly Cluster[];
  readonly top: readonly string[];
};

/** The node an edge leaves from, with the label the edge carries (a statement's timeout). */
type Exit = { readonly node: string; readonly label?: string };

// Prefixed ids: step ids such as `end` or `graph` are Mermaid keywords.
const statementNode = (id: string) => `s_${id}`;

function buildGraph(pipeline: Pipeline): Graph {
  const nodes: Node[] = [];
  const edges: Edge[] = [];
  const connect = (exits: readonly Exit[], to: string): void => {
    for (const exit of exits)
      edges.push({ from: exit.node, to, ...(exit.label !== undefined ? { label: exit.label } : {}) });
  };
  /** Draws `steps` after `exits`; answers where the chain ends and which nodes/clusters it made. */
  const chain = (
    steps: readonly Step[],
    exits: readonly Exit[],
  ): { exits: Exit[]; nodes: string[]; clusters: Cluster[] } => {
    let current: Exit[] = [...exits];
    const made: string[] = [];
    const clusters: Cluster[] = [];
    for (const step of steps) {
      if (step.kind === 'statement') {
        const id = statementNode(step.id);
        nodes.push({ kind: 'statement', id, step });
        made.push(id);
        connect(current, id);
        current = [{ node: id, label: `timeout ${formatDuration(step.timeoutSeconds)}` }];
        continue;
      }
      const fork = `f_${step.id}`;
      const join = `j_${step.id}`;
      nodes.push({ kind: 'fork', id: fork });
      connect(current, fork);
      const inner: string[] = [fork];
      const innerClusters: Cluster[] = [];
      const branchExits: Exit[] = [];
      for (const branch of step.branches) {
        const drawn = chain(branch, [{ node: fork }]);
        inner.push(...drawn.nodes);
        innerClusters.push(...drawn.clusters);
        branchExits.push(...drawn.exits);
      }
      nodes.push({ kind: 'join', id: join });
      inner.push(join);
      connect(branchExits, join);
      clusters.push({
        id: `p_${step.id}`,
        label: `${step.id}: ${step.branches.length} branches in parallel`,
        nodes: inner,
        clusters: innerClusters,
      });
      current = [{ node: join }];
    }
    return { exits: current, nodes: made, clusters };
  };
  nodes.push({ kind: 'terminal', id: 'n_start', label: 'start' });
  const drawn = chain(pipeline.steps, [{ node: 'n_start' }]);
  nodes.push({ kind: 'terminal', id: 'n_end', label: 'end' });
  connect(drawn.exits, 'n_end');
  return { nodes, edges, clusters: drawn.clusters, top: ['n_start', ...drawn.nodes, 'n_end'] };
}

function statementLines(step: StatementStep): string[] {
  return [step.id, sqlFirstLine(step), tags(step).join(' · ')];
}

// ---------------------------------------------------------------------------------------------
// Mermaid

/** Text inside a quoted Mermaid label: characters the parser or the HTML renderer would read become entity codes. */
export function mermaidText(text: string): string {
  return text.replace(/[#"<>&`\\%]/g, (char) => `#${char.charCodeAt(0)};`);
}

function mermaidNode(node: Node): string {
  switch (node.kind) {
    case 'terminal':
      return `${node.id}(["${node.label}"])`;
    case 'fork':
    case 'join':
      return `${node.id}((" "))`;
    case 'statement': {
      const label = statementLines(node.step).map(mermaidText).join('<br/>');
      // Callback steps wait for an event: a subroutine box tells them apart without colour.
      return node.step.mode === 'callback' ? `${node.id}[["${label}"]]` : `${node.id}["${label}"]`;
    }
  }
}

export function renderMermaid(pipeline: Pipeline): string {
  const graph = buildGraph(pipeline);
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const lines = ['flowchart TD'];
  const declare = (id: string, indent: string): void => {
    lines.push(`${indent}${mermaidNode(byId.get(id) as Node)}`);
  };
  const cluster = (item: Cluster, indent: string): void => {
    lines.push(`${indent}subgraph ${item.id} ["${mermaidText(item.label)}"]`);
    lines.push(`${indent}  direction TB`);
    const nested = new Set(
      item.clusters.flatMap(function all(inner): string[] {
        return [...inner.nodes, ...inner.clusters.flatMap(all)];
      }),
    );
    for (const id of item.nodes) if (!nested.has(id)) declare(id, `${indent}  `);
    for (const inner of item.clusters) cluster(inner, `${indent}  `);
    lines.push(`${indent}end`);
  };
  for (const id of graph.top) declare(id, '  ');
  for (const item of graph.clusters) cluster(item, '  ');
  for (const edge of graph.edges)
    lines.push(`  ${edge.from} -->${edge.label !== undefined ? `|"${mermaidText(edge.label)}"|` : ''} ${edge.to}`);
  const statements = graph.nodes.filter(
    (node): node is Extract<Node, { kind: 'statement' }> => node.kind === 'statement',
  );
  const marked = (predicate: (step: StatementStep) => boolean) =>
    statements.filter((node) => predicate(node.step)).map((node) => node.id);
  lines.push('  classDef terminal fill:#f3f4f6,stroke:#6b7280,color:#111827');
  lines.push('  classDef fork fill:#111827,stroke:#111827');
  lines.push('  classDef callback fill:#eff6ff,stroke:#2563eb,color:#1e3a8a');
  lines.push('  classDef singleton stroke:#b45309,stroke-width:3px');
  lines.push('  class n_start,n_end terminal');
  const forks = graph.nodes.filter((node) => node.kind === 'fork' || node.kind === 'join').map((node) => node.id);
  if (forks.length > 0) lines.push(`  class ${forks.join(',')} fork`);
  const callback = marked((step) => step.mode === 'callback');
  if (callback.length > 0) lines.push(`  class ${callback.join(',')} callback`);
  const singleton = marked((step) => step.singleton);
  if (singleton.length > 0) lines.push(`  class ${singleton.join(',')} singleton`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Graphviz DOT

export function dotText(text: string): string {
  return text.replace(/[\\"]/g, (char) => `\\${char}`);
}

function dotNode(node: Node): string {
  switch (node.kind) {
    case 'terminal':
      return `${node.id} [label="${node.label}", shape=oval, style=filled, fillcolor="#f3f4f6"];`;
    case 'fork':
    case 'join':
      return `${node.id} [label="", shape=circle, width=0.15, style=filled, fillcolor="#111827"];`;
    case 'statement': {
      const { step } = node;
      const attributes = [
        `label="${statementLines(step).map(dotText).join('\\n')}"`,
        ...(step.mode === 'callback' ? ['style="rounded,filled"', 'fillcolor="#eff6ff"', 'color="#2563eb"'] : []),
        ...(step.singleton ? ['peripheries=2', 'penwidth=2'] : []),
      ];
      return `${node.id} [${attributes.join(', ')}];`;
    }
  }
}

export function renderDot(pipeline: Pipeline): string {
  const graph = buildGraph(pipeline);
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const lines = [
    `digraph "${dotText(pipeline.name)}" {`,
    '  rankdir=TB;',
    '  node [shape=box, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  const cluster = (item: Cluster, indent: string): void => {
    lines.push(`${indent}subgraph cluster_${item.id} {`);
    lines.push(`${indent}  label="${dotText(item.label)}";`);
    lines.push(`${indent}  style=dashed;`);
    const nested = new Set(
      item.clusters.flatMap(function all(inner): string[] {
        return [...inner.nodes, ...inner.clusters.flatMap(all)];
      }),
    );
    for (const id of item.nodes) if (!nested.has(id)) lines.push(`${indent}  ${dotNode(byId.get(id) as Node)}`);
    for (const inner of item.clusters) cluster(inner, `${indent}  `);
    lines.push(`${indent}}`);
  };
  for (const id of graph.top) lines.push(`  ${dotNode(byId.get(id) as Node)}`);
  for (const item of graph.clusters) cluster(item, '  ');
  for (const edge of graph.edges)
    lines.push(`  ${edge.from} -> ${edge.to}${edge.label !== undefined ? ` [label="${dotText(edge.label)}"]` : ''};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** A table cell: a code span that survives `|` and backticks inside. */
function codeCell(text: string): string {
  const escaped = text.replace(/\|/g, '\\|');
  if (escaped === '') return '';
  const longest = Math.max(0, ...[...escaped.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${escaped} ${fence}` : `${fence}${escaped}${fence}`;
}

/**
 * Text as a Markdown paragraph: no HTML, no code spans or fences, and no table: a `|` is escaped
 * (GFM reads lines of pipes followed by a `|---|` line as a table, which a description is not).
 */
function plainText(text: string): string {
  return text.replace(/[<>`|]/g, (char) => ({ '<': '&lt;', '>': '&gt;', '`': '\\`', '|': '\\|' })[char] as string);
}

type Row = { step: string; sql: string; mode: string; timeout: string; results: string; state: string };
type StateSizes = ReadonlyMap<string, StepStateSize>;

/** A statement step's worst-case state (execution input aside) and, when larger, its largest answer. */
function stateCell(size: StepStateSize | undefined): string {
  if (size === undefined) return '';
  const state = `${formatBytes(size.stateBytes)} + input`;
  return size.answerBytes > size.stateBytes ? `${state}; answer ${formatBytes(size.answerBytes)}` : state;
}

function rows(steps: readonly Step[], prefix: string, sizes: StateSizes): Row[] {
  return steps.flatMap((step): Row[] => {
    if (step.kind === 'parallel') {
      const own: Row = {
        step: `${prefix}${codeCell(step.id)}`,
        sql: `*${step.branches.length} branches in parallel*`,
        mode: '',
        timeout: '',
        results: '',
        state: '',
      };
      return [
        own,
        ...step.branches.flatMap((branch, index) => rows(branch, `${prefix}${step.id} › ${index + 1} › `, sizes)),
      ];
    }
    return [
      {
        step: `${prefix}${codeCell(step.id)}`,
        sql: codeCell(sqlFirstLine(step, 80)),
        mode: [modeLabel(step), ...(step.singleton ? ['singleton'] : [])].join(', '),
        timeout: formatDuration(step.timeoutSeconds),
        results: step.results ? 'yes' : '',
        state: stateCell(sizes.get(step.id)),
      },
    ];
  });
}

function edgeCount(mermaid: string): number {
  return mermaid.split('\n').filter((line) => line.includes(' --> ')).length;
}

function largestStateCell(limits: LimitUsage) {
  const largest = largestStateSize(limits.stateSizes);
  return {
    state: formatBytes(largest.bytes),
    stateShare: percent(largest.bytes, LIMITS.stateBytes),
    stateNote: LIMIT_NOTES[limitLevel(largest.bytes, LIMITS.stateBytes)],
    stateStep: largest.stepId,
  };
}

const LIMIT_NOTES = { ok: '', warn: ' (**near the limit**)', over: ' (**over the limit**)' } as const;

export type MarkdownLinks = {
  /** The spec, relative to the Markdown file. */
  readonly spec: string;
  readonly definition: string;
  readonly policy: string;
};

export function renderMarkdown(pipeline: Pipeline, limits: LimitUsage, links: MarkdownLinks): string {
  const mermaid = renderMermaid(pipeline);
  const tooLarge = mermaid.length > MERMAID_LIMITS.textSize || edgeCount(mermaid) > MERMAID_LIMITS.edges;
  const text = textTemplate('pipeline.md.hbs')({
    name: pipeline.name,
    description: pipeline.description !== undefined ? plainText(pipeline.description) : '',
    links,
    mermaid,
    tooLarge,
    mermaidLimits: { textSize: thousands(MERMAID_LIMITS.textSize), edges: MERMAID_LIMITS.edges },
    rows: rows(pipeline.steps, '', new Map(limits.stateSizes.map((size) => [size.stepId, size]))),
    limits: {
      states: thousands(limits.states),
      bytes: formatBytes(limits.definitionBytes),
      bytesShare: percent(limits.definitionBytes, LIMITS.definitionBytes),
      bytesNote: LIMIT_NOTES[limitLevel(limits.definitionBytes, LIMITS.definitionBytes)],
      events: thousands(limits.worstCase.events),
      eventsShare: percent(limits.worstCase.events, LIMITS.historyEvents),
      eventsNote: LIMIT_NOTES[limitLevel(limits.worstCase.events, LIMITS.historyEvents)],
      transitions: thousands(limits.worstCase.transitions),
      ...largestStateCell(limits),
    },
  });
  return `${text.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
