import dagre from '@dagrejs/dagre';
import { transitionLabel } from './graph';
import type { ScenarioDef, ScenarioNode } from './types';

export interface Point {
  x: number;
  y: number;
}

export interface LaidNode {
  name: string;
  node: ScenarioNode;
  /** Centre of the node. */
  x: number;
  y: number;
  width: number;
  height: number;
  lines: string[];
}

export interface LaidEdge {
  /** Index of the transition in the scenario document. */
  index: number;
  from: string;
  to: string;
  points: Point[];
  outcome: string;
  condition: string;
  why?: string;
  labelX: number;
  labelY: number;
  labelWidth: number;
  labelHeight: number;
}

export interface Layout {
  nodes: LaidNode[];
  edges: LaidEdge[];
  width: number;
  height: number;
}

const CHAR = 6.4; // average width of one character of the 11 px label font
const LINE = 14;
const WRAP = 26;
const MAX_CONDITION = 34;

/** A label cut into at most three lines of about `width` characters. */
export function wrapText(text: string, width = WRAP, max = 3): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) lines.push(cur);
  if (lines.length > max) {
    const kept = lines.slice(0, max);
    kept[max - 1] = `${kept[max - 1]!.slice(0, width - 1)}…`;
    return kept;
  }
  return lines;
}

export const clip = (s: string, n = MAX_CONDITION) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function nodeSize(node: ScenarioNode, lines: string[]): { width: number; height: number } {
  switch (node.kind) {
    case 'end':
      return { width: 150, height: 22 + lines.length * LINE };
    case 'join':
      return { width: 140, height: 20 + lines.length * LINE };
    case 'human':
    case 'automatic':
    case 'hold':
    case 'timer': {
      const longest = Math.max(...lines.map((l) => l.length), 12);
      // One line for the actor under the label.
      return { width: Math.max(150, longest * CHAR + 24), height: 26 + (lines.length + 1) * LINE };
    }
  }
}

/**
 * Lays a scenario out top to bottom with dagre: one node per scenario node, one edge per
 * (transition, target), labelled with the outcome and the condition.
 */
export function layoutScenario(def: ScenarioDef): Layout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 46, edgesep: 12, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const lines: Record<string, string[]> = {};
  for (const [name, node] of Object.entries(def.nodes)) {
    lines[name] = wrapText(node.label);
    g.setNode(name, { ...nodeSize(node, lines[name]), label: name });
  }
  def.transitions.forEach((t, index) => {
    const { outcome, condition } = transitionLabel(t);
    const text = [outcome, clip(condition)].filter(Boolean);
    const width = Math.max(...text.map((x) => x.length)) * CHAR + 8;
    for (const to of t.to) {
      if (!g.hasNode(t.from) || !g.hasNode(to)) continue;
      g.setEdge(
        t.from,
        to,
        { width, height: text.length * 13 + 4, labelpos: 'c', index, outcome, condition, why: t.why },
        `${index}:${to}`,
      );
    }
  });
  dagre.layout(g);
  const nodes: LaidNode[] = g.nodes().map((name) => {
    const n = g.node(name);
    return {
      name,
      node: def.nodes[name]!,
      x: n.x ?? 0,
      y: n.y ?? 0,
      width: n.width,
      height: n.height,
      lines: lines[name] ?? [name],
    };
  });
  const edges: LaidEdge[] = g.edges().map((e) => {
    const l = g.edge(e) as {
      points?: Point[];
      x?: number;
      y?: number;
      width?: number;
      height?: number;
      index: number;
      outcome: string;
      condition: string;
      why?: string;
    };
    return {
      index: l.index,
      from: e.v,
      to: e.w,
      points: l.points ?? [],
      outcome: l.outcome,
      condition: l.condition,
      ...(l.why ? { why: l.why } : {}),
      labelX: l.x ?? 0,
      labelY: l.y ?? 0,
      labelWidth: l.width ?? 0,
      labelHeight: l.height ?? 0,
    };
  });
  const graph = g.graph();
  return { nodes, edges, width: graph.width ?? 0, height: graph.height ?? 0 };
}
