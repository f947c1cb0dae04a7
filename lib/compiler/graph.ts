/**
 * `runbook graph`: a runbook's steps as a Mermaid flowchart.
 *
 * Shapes: exec `[ ]`, fan-out exec `[[ ]]` (a subroutine: one step, many tasks), approval
 * `{{ }}`, notify `> ]`, wait `[/ /]`, called runbook `( )`, parallel a fork `[/ \]` and a join
 * `[\ /]` with each branch in a subgraph, fail and succeed stadiums `([ ])`. A `when` is a
 * diamond with `yes` / `no` edges; onFailure edges (`continue`, or into the onFailure steps)
 * are dashed.
 *
 * @see https://mermaid.js.org/syntax/flowchart.html
 */
import type { Runbook, Step, Template } from '../runbook/model.ts';
import { formatDuration } from '../shared/duration.ts';

interface Scope {
  readonly lines: string[];
}

interface Graph {
  readonly edges: string[];
}

/**
 * The Mermaid `flowchart TD` source of a runbook's steps. Deterministic; node ids derive from
 * step ids (`s_<id>`, `w_<id>` for a `when`, `j_<id>` for a parallel's join).
 *
 * @example
 * ```ts
 * runbookToMermaid(runbook);
 * // flowchart TD
 * //   start(["start"])
 * //   s_usage["usage<br/>exec: service ${{ params.service }}"]
 * //   …
 * ```
 */
export function runbookToMermaid(runbook: Runbook): string {
  const root: Scope = { lines: [] };
  const graph: Graph = { edges: [] };
  root.lines.push('start(["start"])');
  const entry = renderSteps(runbook.steps, 'done', root, graph, 'done');
  root.lines.push(`done(["${label(runbook.outputs.length > 0 ? 'end: outputs' : 'end')}"])`);
  graph.edges.unshift(`start --> ${entry}`);
  return ['flowchart TD', ...root.lines.map(indent), ...graph.edges.map(indent), ''].join('\n');
}

function indent(line: string): string {
  return `  ${line}`;
}

/** Escapes text for a quoted Mermaid label. */
function label(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\r?\n/g, ' ');
}

function templateText(template: Template): string {
  return template.parts.map((p) => (p.kind === 'text' ? p.text : `\${{ ${p.reference.path} }}`)).join('');
}

/** Nodes for `steps` (in `scope`), edges into `graph`; returns the entry node id. */
function renderSteps(
  steps: readonly Step[],
  next: string,
  scope: Scope,
  graph: Graph,
  succeed: string,
): string {
  const ids = steps.map((step) => (step.when ? `w_${step.id}` : `s_${step.id}`));
  steps.forEach((step, index) => {
    renderStep(step, ids[index + 1] ?? next, scope, graph, succeed);
  });
  return ids[0] ?? next;
}

function renderStep(step: Step, next: string, scope: Scope, graph: Graph, succeed: string): void {
  const node = `s_${step.id}`;
  if (step.when) {
    scope.lines.push(`w_${step.id}{"${label(`when ${step.when.source}`)}"}`);
    graph.edges.push(`w_${step.id} -->|yes| ${node}`, `w_${step.id} -->|no| ${next}`);
  }
  const title = label(step.name ? `${step.id}: ${step.name}` : step.id);
  let exit: string | undefined = next;
  switch (step.kind) {
    case 'exec': {
      const target = `${step.target.selector} ${templateText(step.target.value)}`;
      if (step.target.fanOut) {
        scope.lines.push(
          `${node}[["${title}<br/>${label(`fan-out: ${target}, concurrency ${step.target.concurrency}`)}"]]`,
        );
      } else {
        scope.lines.push(`${node}["${title}<br/>${label(`exec: ${target}`)}"]`);
      }
      break;
    }
    case 'approval':
      scope.lines.push(`${node}{{"${title}<br/>approval"}}`);
      break;
    case 'notify':
      scope.lines.push(`${node}>"${title}<br/>notify"]`);
      break;
    case 'wait': {
      const what =
        step.wait.kind === 'duration'
          ? formatDuration(step.wait.duration.ms)
          : `until ${templateText(step.wait.until)}`;
      scope.lines.push(`${node}[/"${title}<br/>${label(`wait ${what}`)}"/]`);
      break;
    }
    case 'runbook':
      scope.lines.push(`${node}("${title}<br/>${label(`runbook: ${step.runbook}`)}")`);
      break;
    case 'fail':
      scope.lines.push(`${node}(["${title}<br/>${label(`fail: ${step.error}`)}"])`);
      exit = undefined;
      break;
    case 'succeed':
      scope.lines.push(`${node}(["${title}<br/>succeed"])`);
      exit = succeed;
      break;
    case 'parallel': {
      const join = `j_${step.id}`;
      scope.lines.push(`${node}[/"${title}<br/>parallel"\\]`);
      step.branches.forEach((branch, index) => {
        const inner: Scope = { lines: [] };
        const entry = renderSteps(branch.steps, join, inner, graph, join);
        scope.lines.push(
          `subgraph b_${step.id}_${index + 1} ["branch ${index + 1}"]`,
          ...inner.lines.map(indent),
          'end',
        );
        graph.edges.push(`${node} --> ${entry}`);
      });
      scope.lines.push(`${join}[\\"join"/]`);
      graph.edges.push(`${join} --> ${next}`);
      exit = undefined;
      break;
    }
  }
  if (exit !== undefined) graph.edges.push(`${node} --> ${exit}`);
  if (step.onFailure.kind === 'continue') graph.edges.push(`${node} -.->|on failure| ${next}`);
  if (step.onFailure.kind === 'steps') {
    const handler = renderSteps(step.onFailure.steps, next, scope, graph, succeed);
    graph.edges.push(`${node} -.->|on failure| ${handler}`);
  }
}
