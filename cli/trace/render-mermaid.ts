// Mermaid rendering: a `sequenceDiagram` with one participant per actor and one arrow per
// message (`->>` delivered, `-x` dropped, `-)` unconfirmed), for pasting into Markdown that
// renders Mermaid. Ids, causes and times become notes when asked for.

import type { TraceHistory, TraceMessage } from './types.js';
import { formatMs, participantsOf } from './actors.js';

export interface MermaidRenderOptions {
  /** Add a note under each arrow with its id, cause and time. */
  readonly ids?: boolean;
}

export function renderMermaid(history: TraceHistory, options: MermaidRenderOptions = {}): string {
  const actors = participantsOf(history.messages);
  // Pids hold '@', ':' and '(' which Mermaid ids do not allow, so participants get plain
  // aliases and show the readable label; the full pids are kept as comments.
  const alias = new Map(actors.map((a, i) => [a.pid, `p${i + 1}`]));
  const lines = ['sequenceDiagram'];
  actors.forEach((a) => lines.push(`    %% ${alias.get(a.pid)} = ${a.pid}`));
  actors.forEach((a) => lines.push(`    participant ${alias.get(a.pid)} as ${escape(a.label)}`));
  for (const m of history.messages) {
    const from = alias.get(m.from)!;
    const to = alias.get(m.to)!;
    lines.push(`    ${from}${arrow(m)}${to}: ${escape(text(m))}`);
    if (options.ids === true) {
      const where = from === to ? from : `${from},${to}`;
      const cause = m.cause === null ? '' : ` ← ${m.cause}`;
      lines.push(`    Note over ${where}: ${escape(`${m.id}${cause} · +${formatMs(m.at - history.origin)} ms`)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function arrow(m: TraceMessage): string {
  return m.status === 'dropped' ? '-x' : m.status === 'unconfirmed' ? '-)' : '->>';
}

function text(m: TraceMessage): string {
  if (m.status === 'dropped') return `${m.name} ✗ ${m.dropReason ?? 'dropped'}`;
  if (m.status === 'unconfirmed') return `${m.name} (no recv)`;
  return m.name;
}

/** Mermaid reads ';' as a line break and '#…;' as an entity, so both are written as entities. */
function escape(s: string): string {
  return s.replace(/[#;<>]/g, (c) => `#${c.charCodeAt(0)};`);
}
