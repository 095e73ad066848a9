// The configuration contract of the function's programs (lambda/config/config_contract.cpp in the
// repository), as tsproxy-config-contract renders it into config-contract.json at the package root: the
// construct validates with the bounds the bootstrap and the extension enforce, so a value they would refuse
// fails the synth instead of every init.
import * as fs from 'fs';
import * as path from 'path';

export interface ContractVariable {
  readonly readBy: readonly ('runtime' | 'extension')[];
  readonly type: 'count' | 'milliseconds' | 'duration' | 'boolean' | 'string' | 'address' | 'choice';
  readonly default: string | null;
  readonly min?: number;
  readonly max?: number;
  readonly unit?: string;
  readonly accepts?: string;
  readonly doc: string;
}

export const CONTRACT_FILE = path.join(__dirname, '..', 'config-contract.json');

let variables: Readonly<Record<string, ContractVariable>> | undefined;

export function contractVariable(name: string): ContractVariable {
  variables ??= (JSON.parse(fs.readFileSync(CONTRACT_FILE, 'utf8')) as { variables: Record<string, ContractVariable> }).variables;
  const v = variables[name];
  if (v === undefined) throw new Error(`tsproxy-cdk: ${CONTRACT_FILE} declares no ${name}`);
  return v;
}

// The inclusive range of a numeric variable (milliseconds for timeouts and durations).
export function contractBounds(name: string): { readonly min: number; readonly max: number } {
  const { min, max } = contractVariable(name);
  if (min === undefined || max === undefined) throw new Error(`tsproxy-cdk: ${name} has no bounds in ${CONTRACT_FILE}`);
  return { min, max };
}
