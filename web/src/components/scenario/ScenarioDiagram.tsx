import { Box, Button, Group, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { clip, layoutScenario, type LaidEdge, type LaidNode, type Point } from './layout';
import type { DiagramMarks, NodeMark, ScenarioDef } from './types';

// Actors get a stable colour each, so a service's tasks look alike on every scenario.
const PALETTE = ['#e7f5ff', '#fff4e6', '#f3f0ff', '#ebfbee', '#fff0f6', '#e6fcf5', '#fff9db', '#f8f0fc'];
function actorColour(actor: string | undefined): string {
  if (!actor) return '#f8f9fa';
  let h = 0;
  for (const c of actor) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

const STROKE: Record<NodeMark | 'none', { colour: string; width: number; dash?: string }> = {
  none: { colour: '#adb5bd', width: 1 },
  current: { colour: '#4263eb', width: 3.5 },
  done: { colour: '#2f9e44', width: 2.5 },
  failed: { colour: '#e03131', width: 3 },
  cancelled: { colour: '#868e96', width: 1.5, dash: '4 3' },
  visited: { colour: '#7048e8', width: 3 },
  invalid: { colour: '#e03131', width: 3, dash: '6 3' },
};

function path(points: Point[]): string {
  if (points.length === 0) return '';
  const [first, ...rest] = points;
  if (rest.length === 1) return `M${first!.x},${first!.y} L${rest[0]!.x},${rest[0]!.y}`;
  // A smooth curve through dagre's points (midpoints as on-curve points, the points as controls).
  let d = `M${first!.x},${first!.y}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const p = rest[i]!;
    const q = rest[i + 1]!;
    const m = i === rest.length - 2 ? q : { x: (p.x + q.x) / 2, y: (p.y + q.y) / 2 };
    d += ` Q${p.x},${p.y} ${m.x},${m.y}`;
  }
  return d;
}

function Shape({ n, mark }: { n: LaidNode; mark: NodeMark | undefined }) {
  const s = STROKE[mark ?? 'none'];
  const x = n.x - n.width / 2;
  const y = n.y - n.height / 2;
  const common = {
    stroke: s.colour,
    strokeWidth: s.width,
    strokeDasharray: s.dash,
    fill: actorColour(n.node.actor),
  };
  switch (n.node.kind) {
    case 'human':
      return <rect x={x} y={y} width={n.width} height={n.height} rx={10} {...common} />;
    case 'automatic':
      // Automatic steps: square corners and a double border, like a machine.
      return (
        <>
          <rect x={x} y={y} width={n.width} height={n.height} rx={2} {...common} />
          <rect
            x={x + 4}
            y={y + 4}
            width={n.width - 8}
            height={n.height - 8}
            rx={1}
            fill="none"
            stroke={s.colour}
            strokeWidth={0.8}
          />
        </>
      );
    case 'join': {
      const h = n.height / 2;
      const pts = [
        [x + h, y],
        [x + n.width - h, y],
        [x + n.width, n.y],
        [x + n.width - h, y + n.height],
        [x + h, y + n.height],
        [x, n.y],
      ];
      return <polygon points={pts.map((p) => p.join(',')).join(' ')} {...common} fill="#f1f3f5" />;
    }
    case 'hold':
      return <rect x={x} y={y} width={n.width} height={n.height} rx={4} {...common} fill="#fff4e6" />;
    case 'timer':
      return (
        <rect x={x} y={y} width={n.width} height={n.height} rx={n.height / 2} {...common} fill="#fff9db" />
      );
    case 'end': {
      const fill =
        n.node.result === 'rejected' ? '#ffe3e3' : n.node.result === 'cancelled' ? '#f1f3f5' : '#d3f9d8';
      return <rect x={x} y={y} width={n.width} height={n.height} rx={n.height / 2} {...common} fill={fill} />;
    }
    default:
      return <rect x={x} y={y} width={n.width} height={n.height} {...common} />;
  }
}

const KIND_ICON: Record<string, string> = {
  // Glyphs the usual Linux and Windows fonts have (no emoji: agents' machines often lack them).
  human: '☺',
  automatic: '⚙',
  join: '⋈',
  hold: '‖',
  timer: '◔',
  end: '■',
};

function NodeView({
  n,
  mark,
  selected,
  onSelect,
  actorName,
}: {
  n: LaidNode;
  mark: NodeMark | undefined;
  selected: boolean;
  onSelect?: (name: string) => void;
  actorName: (code: string) => string;
}) {
  const { t } = useTranslation();
  const top = n.y - n.height / 2;
  const withActor = n.node.kind === 'human' || n.node.kind === 'automatic';
  const textTop = top + 16;
  return (
    <g
      data-node={n.name}
      data-mark={mark ?? 'none'}
      style={{ cursor: onSelect ? 'pointer' : undefined }}
      onClick={() => onSelect?.(n.name)}
    >
      <title>
        {`${n.name} (${t(`scenario.kinds.${n.node.kind}`)})${n.node.actor ? ` · ${n.node.actor}` : ''}${
          mark ? ` · ${t(`scenario.marks.${mark}`)}` : ''
        }`}
      </title>
      {selected && (
        <rect
          x={n.x - n.width / 2 - 5}
          y={top - 5}
          width={n.width + 10}
          height={n.height + 10}
          rx={12}
          fill="none"
          stroke="#fab005"
          strokeWidth={2}
        />
      )}
      <Shape n={n} mark={mark} />
      <text x={n.x - n.width / 2 + 6} y={top + 12} fontSize={10} fill="#495057">
        {KIND_ICON[n.node.kind]}
      </text>
      {mark === 'done' && (
        <text x={n.x + n.width / 2 - 14} y={top + 13} fontSize={12} fill="#2f9e44" fontWeight={700}>
          ✓
        </text>
      )}
      {mark === 'current' && <circle cx={n.x + n.width / 2 - 9} cy={top + 9} r={4} fill="#4263eb" />}
      {n.lines.map((line, i) => (
        <text
          key={i}
          x={n.x}
          y={textTop + i * 14}
          fontSize={11}
          textAnchor="middle"
          fontWeight={n.node.kind === 'end' ? 600 : 500}
          fill="#212529"
        >
          {line}
        </text>
      ))}
      {withActor && (
        <text
          x={n.x}
          y={textTop + n.lines.length * 14 + 2}
          fontSize={10}
          textAnchor="middle"
          fill="#495057"
          fontStyle="italic"
        >
          {clip(
            n.node.actor ? actorName(n.node.actor) : n.node.actorRules?.length ? t('scenario.byRules') : '—',
            30,
          )}
        </text>
      )}
    </g>
  );
}

function EdgeView({ e, taken }: { e: LaidEdge; taken: boolean }) {
  const colour = taken ? '#2f9e44' : '#868e96';
  return (
    <g data-transition={e.index} data-taken={taken ? 'yes' : 'no'}>
      <title>
        {`${e.from} → ${e.to} · ${e.outcome}${e.condition ? ` [${e.condition}]` : ''}${e.why ? ` — ${e.why}` : ''}`}
      </title>
      <path
        d={path(e.points)}
        fill="none"
        stroke={colour}
        strokeWidth={taken ? 2.5 : 1.2}
        markerEnd={`url(#arrow-${taken ? 'taken' : 'plain'})`}
      />
      <rect
        x={e.labelX - e.labelWidth / 2}
        y={e.labelY - e.labelHeight / 2}
        width={e.labelWidth}
        height={e.labelHeight}
        rx={3}
        fill="white"
        fillOpacity={0.9}
      />
      <text
        x={e.labelX}
        y={e.labelY - e.labelHeight / 2 + 11}
        fontSize={10.5}
        textAnchor="middle"
        fill={colour}
      >
        <tspan fontWeight={600}>{e.outcome}</tspan>
        {e.condition && (
          <tspan x={e.labelX} dy={13} fontSize={10} fill="#495057">
            {`[${clip(e.condition)}]`}
          </tspan>
        )}
      </text>
    </g>
  );
}

/**
 * A scenario drawn as a diagram: nodes shaped by kind and coloured by actor, arrows labelled with
 * the outcome and the condition. `marks` shows where a request stands (current, done…) or the path
 * of a simulation; clicking a node selects it.
 */
export function ScenarioDiagram({
  def,
  marks,
  selected,
  onSelect,
  actorName = (c) => c,
  maxHeight = 640,
}: {
  def: ScenarioDef;
  marks?: DiagramMarks;
  selected?: string | null;
  onSelect?: (node: string) => void;
  actorName?: (code: string) => string;
  maxHeight?: number;
}) {
  const { t } = useTranslation();
  const layout = useMemo(() => layoutScenario(def), [def]);
  // Fitted to the width by default so the whole flow is seen at once; actual size to read details.
  const [actual, setActual] = useState(false);
  return (
    <Box>
      <Box
        data-testid="scenario-diagram"
        style={{ overflow: 'auto', maxHeight, border: '1px solid #e9ecef', borderRadius: 4 }}
      >
        <svg
          width={actual ? layout.width : '100%'}
          height={actual ? layout.height : undefined}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          style={{
            display: 'block',
            margin: '0 auto',
            fontFamily: 'inherit',
            maxWidth: actual ? undefined : layout.width,
          }}
          role="img"
          aria-label={t('scenario.diagramOf', { name: def.name })}
        >
          <defs>
            {(['plain', 'taken'] as const).map((k) => (
              <marker
                key={k}
                id={`arrow-${k}`}
                viewBox="0 0 10 10"
                refX="9"
                refY="5"
                markerWidth="7"
                markerHeight="7"
                orient="auto-start-reverse"
              >
                <path d="M0,0 L10,5 L0,10 z" fill={k === 'taken' ? '#2f9e44' : '#868e96'} />
              </marker>
            ))}
          </defs>
          {layout.edges.map((e) => (
            <EdgeView key={`${e.index}:${e.to}`} e={e} taken={!!marks?.transitions.has(e.index)} />
          ))}
          {layout.nodes.map((n) => (
            <NodeView
              key={n.name}
              n={n}
              mark={marks?.nodes[n.name]}
              selected={selected === n.name}
              {...(onSelect ? { onSelect } : {})}
              actorName={actorName}
            />
          ))}
        </svg>
      </Box>
      <Group justify="space-between" align="flex-start" wrap="nowrap" mt={6}>
        <Legend />
        <Button
          size="compact-xs"
          variant="default"
          style={{ flexShrink: 0 }}
          onClick={() => setActual((a) => !a)}
          data-testid="diagram-zoom"
        >
          {actual ? t('scenario.fit') : t('scenario.actualSize')}
        </Button>
      </Group>
    </Box>
  );
}

function Legend() {
  const { t } = useTranslation();
  const item = (colour: string, label: string, dash?: string) => (
    <Group gap={4} wrap="nowrap" key={label}>
      <svg width={18} height={12}>
        <rect
          x={1}
          y={1}
          width={16}
          height={10}
          rx={3}
          fill="white"
          stroke={colour}
          strokeWidth={2.5}
          strokeDasharray={dash}
        />
      </svg>
      <Text size="xs">{label}</Text>
    </Group>
  );
  return (
    <Group gap="md" wrap="wrap">
      {Object.entries(KIND_ICON).map(([k, icon]) => (
        <Text size="xs" key={k} c="dimmed">
          {icon} {t(`scenario.kinds.${k}`)}
        </Text>
      ))}
      {item(STROKE.current.colour, t('scenario.marks.current'))}
      {item(STROKE.done.colour, t('scenario.marks.done'))}
      {item(STROKE.failed.colour, t('scenario.marks.failed'))}
      {item(STROKE.visited.colour, t('scenario.marks.visited'))}
      <Group gap={4} wrap="nowrap">
        <svg width={22} height={10}>
          <line x1={1} y1={5} x2={21} y2={5} stroke="#2f9e44" strokeWidth={2.5} />
        </svg>
        <Text size="xs">{t('scenario.marks.taken')}</Text>
      </Group>
    </Group>
  );
}
