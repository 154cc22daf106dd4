/**
 * Asking a notebook's own kernel about its variables, as the kernel side expects
 * (g4f_jupyter/service/variables/kernel.py): one silent `execute_request` with empty code and one
 * `user_expressions` entry, nothing stored in the history, no execution count spent. The kernel
 * caps a summary at 1 s; here a reply that has not come within the cap plus a round trip is given
 * up ("kernel busy": the request waits behind a running cell), so a busy kernel never holds up
 * the panel.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';

const MODULE = 'g4f_jupyter.service.variables';
/** Names for `@` completion: the list is short and the kernel answers at once when idle. */
export const NAMES_MS = 1000;
/** A summary: the kernel's own 1 s cap plus half a second for the round trip. */
export const SUMMARY_MS = 1500;

/** `names_expression()` of the kernel side, exactly. */
export function namesExpression(): string {
  return `__import__('${MODULE}', fromlist=['_']).names_reply(get_ipython().user_ns, get_ipython().user_ns_hidden)`;
}

/** `summaries_expression(names)` of the kernel side (a JSON list of strings is the same Python literal). */
export function summariesExpression(names: string[]): string {
  return `__import__('${MODULE}', fromlist=['_']).summaries_reply(get_ipython().user_ns, ${JSON.stringify(names)})`;
}

export interface IVariableName {
  name: string;
  type: string;
}

export interface IVariableSummary {
  name: string;
  type: string;
  text: string;
  truncated?: boolean;
  error?: string | null;
}

interface IExpressionResult {
  status?: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

/** The JSON value of `expression` in `kernel`, within `ms` milliseconds. */
export async function askKernel(kernel: Kernel.IKernelConnection | null | undefined, expression: string, ms: number): Promise<unknown> {
  if (!kernel || kernel.status === 'dead' || kernel.connectionStatus === 'disconnected') {
    throw new Error('no kernel running');
  }
  const future = kernel.requestExecute(
    { code: '', silent: true, store_history: false, allow_stdin: false, user_expressions: { g4f: expression } },
    true
  );
  let timer = 0;
  const late = new Promise<never>((_, reject) => {
    timer = window.setTimeout(() => reject(new Error('kernel busy')), ms);
  });
  let reply: KernelMessage.IExecuteReplyMsg;
  try {
    reply = await Promise.race([future.done, late]);
  } catch (error) {
    future.dispose(); // a late reply is dropped
    throw error;
  } finally {
    window.clearTimeout(timer);
  }
  const content = reply.content;
  if (content.status !== 'ok') {
    throw new Error('the kernel could not answer');
  }
  const result = content.user_expressions.g4f as IExpressionResult | undefined;
  if (result?.status !== 'ok') {
    const missing = result?.ename === 'ModuleNotFoundError';
    throw new Error(missing ? 'g4f_jupyter is not installed in this kernel' : `${result?.ename}: ${result?.evalue}`);
  }
  return result.data?.['application/json'];
}

/** The user's variables (for `@` completion). */
export async function variableNames(kernel: Kernel.IKernelConnection | null | undefined): Promise<IVariableName[]> {
  const reply = (await askKernel(kernel, namesExpression(), NAMES_MS)) as { names?: IVariableName[] } | undefined;
  return reply?.names ?? [];
}

/** The summary of variable `name` (type, shape, dtypes and first rows…), computed in the kernel. */
export async function variableSummary(kernel: Kernel.IKernelConnection | null | undefined, name: string): Promise<IVariableSummary> {
  const reply = (await askKernel(kernel, summariesExpression([name]), SUMMARY_MS)) as
    | { variables?: IVariableSummary[] }
    | undefined;
  const summary = reply?.variables?.[0];
  if (!summary) {
    throw new Error('the kernel sent no summary');
  }
  if (summary.error === 'not defined' || (summary.error && !summary.text)) {
    throw new Error(`${name} is ${summary.error} in the kernel`);
  }
  return summary;
}
